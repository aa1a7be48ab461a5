/**
 * A real S3 server for tests and local runs: versitygw (Apache-2.0, a Go S3 gateway) on its
 * posix backend, built once from the Go module proxy into .cache/ (scripts/lib/goBuild.ts). Or the server the environment names, so a run can point at MinIO,
 * Ceph or AWS itself instead.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { configuredS3, type Env } from '../../utils/config';
import { quietSdkNodeVersionWarning } from '../../utils/storage/s3Client';
import { goProgram } from './goBuild';
import { freePort, ManagedServer, spawnQuiet } from './services';

const MODULE = 'github.com/versity/versitygw/cmd/versitygw';
export const VERSITYGW_VERSION = 'v1.8.0';
const REGION = 'us-east-1';

/** Where the connection details of an S3 bucket come from: a server we started, or the environment. */
export interface S3Target {
  /** Absent means AWS itself, found from the region. */
  endpoint?: string;
  region: string;
  /** Absent means the SDK's own credential chain (environment, profile, instance role). */
  accessKeyId?: string;
  secretAccessKey?: string;
  bucket: string;
}

export interface ManagedS3 extends S3Target {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** SIGKILL by default: an outage, not a shutdown. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Restarts on the same port and data after stop(). */
  start(): Promise<void>;
  /** Stops it, and removes its data folder unless that was given. */
  dispose(): Promise<void>;
  /** While it runs. */
  readonly pid: number | undefined;
}

/** The cached versitygw binary, built on first use: ~5 minutes on 2 cores with empty Go caches, ~1.5 with the modules already downloaded. */
export function versitygwBinary(): Promise<string> {
  return goProgram({
    name: `versitygw ${VERSITYGW_VERSION}`,
    cacheDir: ['versitygw', VERSITYGW_VERSION],
    binaryName: 'versitygw',
    args: () => ['install', `${MODULE}@${VERSITYGW_VERSION}`],
    // GOTOOLCHAIN=local: fail clearly rather than try to download a newer Go.
    env: { GOTOOLCHAIN: 'local', GOFLAGS: '-buildvcs=false' },
    duration: '1.5 to 5 minutes, less with warm Go caches',
    withoutGo: 'No S3 server: name one with TEST_AWS_ENDPOINT_URL_S3 and TEST_S3_BUCKET (and its keys)',
  });
}

/** versitygw answers an unsigned request with 403 AccessDenied as soon as it listens. */
async function answers403(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/', timeout: 500, agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode === 403);
    });
    request.once('error', () => resolve(false));
    request.once('timeout', () => {
      request.destroy();
      resolve(false);
    });
  });
}

/** Only what versitygw needs: it reads many VGW_* and a few generic names (LOGFILE, WEBHOOK) from its environment. */
function serverEnv(accessKeyId: string, secretAccessKey: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ROOT_ACCESS_KEY: accessKeyId, ROOT_SECRET_KEY: secretAccessKey };
  for (const name of ['PATH', 'HOME']) if (process.env[name] !== undefined) env[name] = process.env[name];
  return env;
}

export function randomS3Credentials(): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: `FMTEST${randomBytes(7).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(20).toString('hex') };
}

export interface S3Options {
  /** Keep the buckets here between runs, with `bucket` in it (npm run dev); otherwise a fresh temporary folder and bucket. */
  dataDir?: string;
  bucket?: string;
  /** Out of the caller's process group: see spawnQuiet in services.ts. */
  detached?: boolean;
  /** The root account's keys; a kept bucket belongs to the account that made it, so a kept dataDir needs the same keys. Random by default. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * A private versitygw on a free loopback port, with random root credentials and a bucket
 * (created when missing).
 */
export async function startS3(options: S3Options = {}): Promise<ManagedS3> {
  const binary = await versitygwBinary();
  const port = await freePort();
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'files-manager-s3-'));
  mkdirSync(dataDir, { recursive: true });
  const { accessKeyId, secretAccessKey } = options.credentials ?? randomS3Credentials();
  const bucket = options.bucket ?? `files-manager-${randomBytes(4).toString('hex')}`;
  const endpoint = `http://127.0.0.1:${port}`;

  const server = new ManagedServer(
    'versitygw',
    endpoint,
    () =>
      // Credentials go by environment, not argv, so they do not show in `ps`. --keep-alive: without
      // it every response says Connection: close, unlike AWS, and the client's socket reuse goes untested.
      spawnQuiet(binary, ['--port', `127.0.0.1:${port}`, '--region', REGION, '--quiet', '--keep-alive', 'posix', dataDir], {
        detached: options.detached,
        env: serverEnv(accessKeyId, secretAccessKey),
      }),
    () => answers403(port),
    () => {
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  );
  try {
    await server.start();
    quietSdkNodeVersionWarning();
    const client = new S3Client({
      endpoint,
      region: REGION,
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
    });
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (error) {
      if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
    } finally {
      client.destroy();
    }
  } catch (error) {
    await server.dispose();
    throw error;
  }
  return {
    endpoint,
    region: REGION,
    accessKeyId,
    secretAccessKey,
    bucket,
    stop: (signal) => server.stop(signal),
    start: () => server.start(),
    dispose: () => server.dispose(),
    get pid() {
      return server.pid;
    },
  };
}

export interface S3Service extends S3Target {
  /** Present when this module started the server, so tests can take it down and bring it back. */
  managed?: ManagedS3;
  /** Stops and removes a server this module started; leaves a named one alone. */
  dispose(): Promise<void>;
}

/** The bucket the environment names (see configuredS3), else a private versitygw from startS3(). */
export async function findOrStartS3(prefix: '' | 'TEST_' = 'TEST_', env: Env = process.env): Promise<S3Service> {
  const named = configuredS3(env, prefix);
  if (named !== undefined) return { ...named, dispose: () => Promise.resolve() };
  const managed = await startS3();
  return {
    endpoint: managed.endpoint,
    region: managed.region,
    accessKeyId: managed.accessKeyId,
    secretAccessKey: managed.secretAccessKey,
    bucket: managed.bucket,
    managed,
    dispose: () => managed.dispose(),
  };
}

/** The service's environment for a bucket: STORAGE=s3 and the AWS SDK's standard variables. */
export function s3Env(target: S3Target, prefix: string): Record<string, string> {
  const env: Record<string, string> = { STORAGE: 's3', S3_BUCKET: target.bucket, S3_PREFIX: prefix, AWS_REGION: target.region };
  if (target.endpoint !== undefined) env.AWS_ENDPOINT_URL_S3 = target.endpoint;
  if (target.accessKeyId !== undefined && target.secretAccessKey !== undefined) {
    env.AWS_ACCESS_KEY_ID = target.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = target.secretAccessKey;
  }
  return env;
}
