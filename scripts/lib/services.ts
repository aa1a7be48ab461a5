/**
 * Finds or starts the MongoDB-compatible server and the Redis that tests, `npm run dev` and
 * the bench need. Order: addresses named in the environment; else private servers on free
 * loopback ports: `mongod` when it is on PATH, otherwise FerretDB (built from
 * scripts/ferretdb into .cache/), and `redis-server` (installed from Debian when missing and
 * we are root).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { configuredServices, type Env } from '../../utils/config';
import { goProgram } from './goBuild';
import { onPath, ServiceSetupError } from './host';
import { ROOT } from './processes';
import { waitUntil } from './wait';

export { onPath, ServiceSetupError };

const LAUNCHER_SOURCE = path.join(ROOT, 'scripts', 'ferretdb');
const READY_TIMEOUT_MS = 60_000;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, child: ChildProcess, probe: () => Promise<boolean>): Promise<void> {
  const ready = async (): Promise<boolean> => {
    if (child.exitCode !== null) throw new ServiceSetupError(`${what} exited with code ${child.exitCode} while starting`);
    return probe();
  };
  await waitUntil(`${what} to become ready`, ready, READY_TIMEOUT_MS);
}

async function mongoAnswers(url: string): Promise<boolean> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 500, connectTimeoutMS: 500 });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close();
  }
}

async function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** A server process this module started; stop() and start() keep its port and data. */
export class ManagedServer {
  private child: ChildProcess | undefined;

  constructor(
    readonly name: string,
    readonly url: string,
    private readonly launch: () => ChildProcess,
    private readonly ready: () => Promise<boolean>,
    private readonly cleanup: () => void = () => undefined,
  ) {}

  /** While it runs; what `npm run dev` records so a successor can stop what it left behind. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.child !== undefined) return;
    const child = this.launch();
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    try {
      await waitFor(this.name, child, this.ready);
    } catch (error) {
      await this.stop();
      throw new ServiceSetupError(`${(error as Error).message}\n${stderr}`);
    }
  }

  /** SIGKILL by default: an outage, not a shutdown. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  async dispose(): Promise<void> {
    await this.stop('SIGTERM');
    this.cleanup();
  }
}

/**
 * `detached` puts it in a process group of its own, so a Ctrl-C meant for the process that owns
 * it does not stop it before the server and worker that use it have finished; that owner stops it.
 */
export function spawnQuiet(command: string, args: string[], { detached = false, env }: { detached?: boolean; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  return spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], detached, env });
}

/** The FerretDB launcher, rebuilt whenever its sources change. */
function launcherBinary(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of ['main.go', 'go.mod', 'go.sum']) hash.update(readFileSync(path.join(LAUNCHER_SOURCE, file)));
  return goProgram({
    name: 'the FerretDB launcher',
    cacheDir: ['ferretdb', hash.digest('hex').slice(0, 16)],
    binaryName: 'ferretdb-launcher',
    args: (outDir) => ['build', '-o', path.join(outDir, 'ferretdb-launcher'), '.'],
    cwd: LAUNCHER_SOURCE,
    env: { GOFLAGS: '-mod=mod' },
    duration: 'a few minutes the first time',
    withoutGo: 'No MongoDB-compatible server: set DB_URL (or DB_HOST), put mongod on PATH',
  });
}

/**
 * `mongod` when it is on PATH, else FerretDB: on SQLite files, or, when `postgresqlUrl` names a
 * PostgreSQL database (FERRETDB_POSTGRESQL_URL), on an engine that replicates.
 */
async function startDatabase(dataDir: string | undefined, postgresqlUrl: string | undefined, detached: boolean): Promise<ManagedServer> {
  const mongod = postgresqlUrl === undefined ? onPath('mongod') : undefined;
  // Built before anything else is made, so a failed build leaves nothing behind.
  const command = mongod ?? (await launcherBinary());
  const port = await freePort();
  const dir = dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'files-manager-db-'));
  mkdirSync(dir, { recursive: true });
  const cleanup = dataDir === undefined ? () => rmSync(dir, { recursive: true, force: true }) : undefined;
  const url = `mongodb://127.0.0.1:${port}/`;
  const backend = postgresqlUrl === undefined ? ['-data', dir] : ['-postgresql-url', postgresqlUrl];
  const args = mongod !== undefined ? ['--port', String(port), '--bind_ip', '127.0.0.1', '--dbpath', dir, '--quiet'] : ['-listen', `127.0.0.1:${port}`, ...backend];
  const server = new ManagedServer(mongod !== undefined ? 'mongod' : 'FerretDB', url, () => spawnQuiet(command, args, { detached }), () => mongoAnswers(url), cleanup);
  await server.start();
  return server;
}

function redisServerBinary(): string {
  const found = onPath('redis-server') ?? ['/usr/bin/redis-server', '/usr/sbin/redis-server'].find((p) => existsSync(p));
  if (found !== undefined) return found;
  if (process.getuid?.() === 0 && onPath('apt-get') !== undefined) {
    console.error('Installing redis-server from Debian packages...');
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'redis-server'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (existsSync('/usr/bin/redis-server')) return '/usr/bin/redis-server';
  }
  throw new ServiceSetupError('No Redis: set REDIS_URL (or REDIS_HOST), or install the redis-server package.');
}

async function startRedis(detached: boolean): Promise<ManagedServer> {
  const port = await freePort();
  const binary = redisServerBinary();
  const server = new ManagedServer(
    'redis-server',
    `redis://127.0.0.1:${port}`,
    () =>
      spawnQuiet(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { detached }),
    () => redisAnswers(port),
  );
  await server.start();
  return server;
}

export interface Services {
  dbUrl: string;
  redisUrl: string;
  /** Present when this module started the server, so tests can take it down and bring it back. */
  db?: ManagedServer;
  redis?: ManagedServer;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  /** `TEST_` for the suite, so a developer's settings never point tests at real data. */
  prefix: '' | 'TEST_';
  /** Keep the database here between runs (npm run dev); otherwise a temporary folder. */
  dataDir?: string;
  /** Out of the caller's process group (see spawnQuiet): for callers that stop them on a signal themselves. */
  detached?: boolean;
}

export async function startServices(options: ServiceOptions, env: Env = process.env): Promise<Services> {
  const named = configuredServices(env, options.prefix);
  const started: ManagedServer[] = [];
  const stop = async () => {
    await Promise.all(started.map((server) => server.dispose()));
  };
  try {
    let dbUrl = named.dbUrl;
    let db: ManagedServer | undefined;
    if (dbUrl === undefined) {
      db = await startDatabase(options.dataDir, env.FERRETDB_POSTGRESQL_URL?.trim() || undefined, options.detached ?? false);
      started.push(db);
      dbUrl = db.url;
    }
    let redisUrl = named.redisUrl;
    let redis: ManagedServer | undefined;
    if (redisUrl === undefined) {
      redis = await startRedis(options.detached ?? false);
      started.push(redis);
      redisUrl = redis.url;
    }
    return { dbUrl, redisUrl, db, redis, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
