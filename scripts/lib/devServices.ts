/**
 * What `npm run dev` and `npm run services` share with each other and with the other scripts.
 * Both keep their data in the checkout (`.cache/dev-data`, or DEV_DIR's `dev-data`), and only
 * one process at a time may run a database on it: the one holding `dev-services.json`, which it
 * creates exclusively and removes when it stops. While it runs, that file also tells the other
 * scripts (the backfill, fsck, the storage migration) where its services are, so a developer
 * never copies addresses around; the environment still wins (DB_URL, REDIS_URL and the rest).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { configuredServices, loadConfig, useConfig, type Config, type Env } from '../../utils/config';
import { isProcessRunning, StartupError } from '../../utils/lifecycle';
import { log } from '../../utils/log';
import { ROOT } from './processes';
import { startServices } from './services';
import { randomS3Credentials, s3Env, startS3, type ManagedS3 } from './versitygw';

export type DevKind = 'dev' | 'services';

export interface DevInstance {
  pid: number;
  kind: DevKind;
  /** The API's address, for `npm run dev`. */
  url?: string;
  /** What the server and worker run with; a script takes what its own environment does not set. */
  env: Record<string, string>;
  /** The private services it started, each in its own process group: a successor stops any it left running. */
  servicePids: number[];
}

/** The folder of dev's state: DEV_DIR, so the tests can run dev without touching the developer's. */
export function devDir(env: Env = process.env): string {
  const named = env.DEV_DIR?.trim();
  return named ? path.resolve(named) : path.join(ROOT, '.cache');
}

/** The database, and under `files/` the bytes, of `npm run dev` and `npm run services`. */
export function devDataDir(env: Env = process.env): string {
  return path.join(devDir(env), 'dev-data');
}

/** Where `--s3` keeps the dev bucket, beside the database. */
export function devBucketDir(env: Env = process.env): string {
  return path.join(devDataDir(env), 's3');
}

/**
 * Whether the dev stack runs the local S3 server: when asked, and always once the dev data has a
 * bucket, since documents of files stored by an earlier `--s3` run could not be read without it.
 */
export function useS3(requested: boolean, what: DevKind, env: Env = process.env): boolean {
  if (requested) return true;
  if (!existsSync(devBucketDir(env))) return false;
  console.log(`${what}: the dev data holds a bucket from an earlier --s3 run, so this run stores bytes there too`);
  return true;
}

/** The dev S3 server's keys, kept with its bucket, which belongs to the account that made it. */
function devS3Credentials(env: Env): { accessKeyId: string; secretAccessKey: string } {
  const file = path.join(devDataDir(env), 's3-credentials.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { accessKeyId: string; secretAccessKey: string };
  } catch {
    const credentials = randomS3Credentials();
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
    return credentials;
  }
}

export function devServicesFile(env: Env = process.env): string {
  return path.join(devDir(env), 'dev-services.json');
}

/** A process's command line, from /proc; undefined when it is gone or /proc is not there. */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

/** Alive and still the program that was recorded (a pid can be reused). */
function stillRunning(pid: number, program: RegExp): boolean {
  if (!isProcessRunning(pid)) return false;
  const command = commandLine(pid);
  return command === undefined || program.test(command);
}

/** Kept between runs in dev-data/s3, so `npm run dev -- --s3` finds yesterday's files. */
const DEV_BUCKET = 'files-manager-dev';
const DEV_PROGRAM = /scripts\/(dev|services)/;
const SERVICE_PROGRAM = /ferretdb|mongod|redis-server|versitygw/;

function readInstance(file: string): DevInstance | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DevInstance;
  } catch {
    return undefined;
  }
}

/** The `npm run dev` or `npm run services` running on this data, if any. */
export function runningDevInstance(env: Env = process.env): DevInstance | undefined {
  const instance = readInstance(devServicesFile(env));
  return instance !== undefined && stillRunning(instance.pid, DEV_PROGRAM) ? instance : undefined;
}

export class AlreadyRunningError extends StartupError {
  override name = 'AlreadyRunningError';

  constructor(readonly holder: DevInstance) {
    super(
      `npm run ${holder.kind} is already running in this checkout (pid ${holder.pid}${holder.url === undefined ? '' : `, ${holder.url}`}): ` +
        'use that one, or stop it first',
    );
  }
}

/** This process's hold on the dev data; see claimDevData. */
export class DevClaim {
  private instance: DevInstance;

  constructor(
    private readonly file: string,
    kind: DevKind,
    url: string | undefined,
  ) {
    this.instance = { pid: process.pid, kind, url, env: {}, servicePids: [] };
  }

  /** Creates the file; fails with EEXIST when another process has it. */
  create(): void {
    writeFileSync(this.file, JSON.stringify(this.instance), { flag: 'wx' });
  }

  /** Says where the services are; replaces the file whole, so a reader never sees half of it. */
  publish(env: Record<string, string>, servicePids: readonly (number | undefined)[]): void {
    this.instance = { ...this.instance, env, servicePids: servicePids.filter((pid): pid is number => pid !== undefined) };
    const partial = `${this.file}.${process.pid}.partial`;
    writeFileSync(partial, JSON.stringify(this.instance));
    renameSync(partial, this.file);
  }

  /** Removes the file if it is still ours; safe to call twice. */
  release(): void {
    if (readInstance(this.file)?.pid === process.pid) rmSync(this.file, { force: true });
  }
}

/**
 * Takes the dev data for this process, or throws AlreadyRunningError naming the live holder.
 * A holder that died without letting go (SIGKILL) is cleared, with any service it left running.
 */
export function claimDevData(kind: DevKind, url?: string, env: Env = process.env): DevClaim {
  const file = devServicesFile(env);
  mkdirSync(path.dirname(file), { recursive: true });
  for (let attempt = 0; ; attempt += 1) {
    const claim = new DevClaim(file, kind, url);
    try {
      claim.create();
      return claim;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    const holder = readInstance(file);
    if (holder !== undefined && stillRunning(holder.pid, DEV_PROGRAM)) throw new AlreadyRunningError(holder);
    for (const pid of holder?.servicePids ?? []) {
      if (stillRunning(pid, SERVICE_PROGRAM)) {
        log.info(`stopping a service (pid ${pid}) left running by an earlier run that was killed`);
        process.kill(pid, 'SIGTERM');
      }
    }
    rmSync(file, { force: true });
  }
}

/** A script's configuration: its environment, filled in from a running `npm run dev` or `npm run services`. */
export function useScriptConfig(env: Env = process.env): Config {
  const named = configuredServices(env, '');
  if (named.dbUrl !== undefined && named.redisUrl !== undefined) return useConfig(loadConfig(env));
  const dev = runningDevInstance(env);
  if (dev === undefined) {
    log.warn('npm run dev is not running and DB_URL/REDIS_URL are not set: using the defaults (localhost:27017 and 6379)');
    return useConfig(loadConfig(env));
  }
  // A service the environment names replaces dev's in every form of its address.
  const inherited = Object.entries(dev.env).filter(
    ([name]) => !(named.dbUrl !== undefined && name.startsWith('DB_')) && !(named.redisUrl !== undefined && name.startsWith('REDIS_')),
  );
  const defined = Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== '');
  return useConfig(loadConfig(Object.fromEntries([...inherited, ...defined])));
}

export interface DevStack {
  /** What the server, the worker and the scripts need to use these services and this data. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The database and Redis the environment names, else private ones on the dev data, and with
 * `s3` a local S3 server whose bucket is kept there too. Each private one runs in a process
 * group of its own, so a Ctrl-C reaches only our process, which stops them after what uses them.
 */
export async function startDevStack(claim: DevClaim, { s3 }: { s3: boolean }, env: Env = process.env): Promise<DevStack> {
  const dataDir = devDataDir(env);
  const services = await startServices({ prefix: '', dataDir, detached: true }, env);
  let bucket: ManagedS3 | undefined;
  try {
    bucket = s3 ? await startS3({ dataDir: devBucketDir(env), bucket: DEV_BUCKET, detached: true, credentials: devS3Credentials(env) }) : undefined;
  } catch (error) {
    await services.stop();
    throw error;
  }
  const stackEnv: Record<string, string> = {
    DB_URL: services.dbUrl,
    REDIS_URL: services.redisUrl,
    FOLDER_PATH: env.FOLDER_PATH?.trim() || path.join(dataDir, 'files'),
    ...(bucket === undefined ? {} : s3Env(bucket, '')),
  };
  claim.publish(stackEnv, [services.db?.pid, services.redis?.pid, bucket?.pid]);
  return {
    env: stackEnv,
    stop: async () => {
      await bucket?.dispose();
      await services.stop();
    },
  };
}
