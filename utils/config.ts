import type net from 'node:net';
import path from 'node:path';
import { EnvReader, parseCidr, type Env } from './envReader';

/** Every setting the server, the worker and the scripts read; nothing else touches process.env. */
export interface Config {
  port: number;
  db: { url: string; name: string };
  redisUrl: string;
  folderPath: string;
  uploadMaxBytes: number;
  /** An unfinished resumable upload is forgotten, and its bytes removed, this long after its last byte. */
  uploadExpirySeconds: number;
  workerConcurrency: number;
  /** How long a deleted item stays in the trash; 0 deletes at once. Fractions are allowed. */
  trashRetentionDays: number;
  /** Every user's quota unless set for the user (`npm run users:quota`); null: unlimited. */
  quotaBytes: number | null;
  passwordHash: PasswordHash;
  throttle: Throttle;
  /** Express's `trust proxy`: false, true, a hop count, or the addresses of trusted proxies. */
  trustProxy: boolean | number | string[];
  timeouts: Timeouts;
  storage: StorageSettings;
  /** Opens /admin/queues to requests carrying it; unset, the page does not exist. */
  adminToken?: string;
  /** Signs download URLs; unset, a key generated once is kept in the database for every server. */
  urlSigningSecret?: string;
  /** The service's address as clients reach it (behind a proxy), for the URLs it hands out; unset, each request's own host. */
  publicUrl?: string;
  /** How long start-up waits for the database and Redis (containers start in any order) before giving up. */
  connectTimeoutSeconds: number;
}

export const STORAGE_DRIVERS = ['local', 's3'] as const;

/** Where new bytes go: FOLDER_PATH, or an S3-compatible bucket (documents say where old ones are). */
export type StorageSettings = { driver: 'local' } | { driver: 's3'; s3: S3Settings };

export interface S3Settings {
  bucket: string;
  /** Prepended to every object key; '' when the service owns the whole bucket. */
  prefix: string;
  region: string;
  /** Any S3-compatible server (MinIO, Ceph, Garage, versitygw, R2), addressed path-style; absent: AWS itself. */
  endpoint?: string;
  /** Both or neither: neither lets the SDK find credentials itself (profile, instance role). */
  accessKeyId?: string;
  secretAccessKey?: string;
}

/** Slow and idle clients, after nginx's and Apache mod_reqtimeout's defaults. */
export interface Timeouts {
  /** A request's headers must be complete this long after its connection or previous request. */
  headersSeconds: number;
  /** A body may take this long before it must keep up the minimum rate. */
  bodyGraceSeconds: number;
  /** Each this many bytes received buys the body one more second. */
  bodyMinBytesPerSecond: number;
  /** An idle keep-alive connection closes after this long. */
  keepAliveSeconds: number;
}

export const PASSWORD_HASHES = ['sha1', 'scrypt'] as const;
export type PasswordHash = (typeof PASSWORD_HASHES)[number];

export interface Throttle {
  /** Consecutive wrong passwords for one account from one address before 429. */
  loginMaxFailures: number;
  /** How long such a streak is remembered, from its first failure. */
  loginWindowSeconds: number;
  /** Failed logins from one address, across all accounts, per day before 429. */
  loginMaxFailuresPerAddress: number;
  /** Accounts created from one address within the window before 429. */
  signupMaxPerAddress: number;
  signupWindowSeconds: number;
  /** Client addresses never throttled. */
  exempt: net.BlockList;
}

export type { Env };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const MIB = 1024 * 1024;
const DEFAULT_FOLDER_PATH = '/tmp/files_manager';
/** Loopback clients are local scripts, test suites and health checks, as fail2ban's default ignoreip has it. */
const DEFAULT_THROTTLE_EXEMPT = '127.0.0.1/8,::1';
/** Names Express's `trust proxy` understands besides addresses. */
const PROXY_KEYWORDS = ['loopback', 'linklocal', 'uniquelocal'];

/** STORAGE and, for `s3`, the AWS SDK's standard variables plus S3_BUCKET and S3_PREFIX. */
function readStorage(read: EnvReader): StorageSettings {
  const driver = read.oneOf('STORAGE', STORAGE_DRIVERS, 'local');
  if (driver === 'local') return { driver };
  const { bucket, ...named } = read.bucket();
  if (bucket === undefined) read.problems.push('S3_BUCKET must name the bucket when STORAGE=s3');
  if ((named.accessKeyId === undefined) !== (named.secretAccessKey === undefined)) {
    read.problems.push('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together, or neither');
  }
  return { driver, s3: { ...named, bucket: bucket ?? '', prefix: read.raw('S3_PREFIX') ?? '' } };
}

/** Express's `trust proxy`: false, true, a hop count, or proxy addresses. */
function readTrustProxy(read: EnvReader, name: string): Config['trustProxy'] {
  const raw = read.string(name);
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return read.integer(name, 0, 0, 100);
  const items = read.list(name, '');
  const bad = items.filter((item) => !PROXY_KEYWORDS.includes(item) && parseCidr(item) === undefined);
  if (bad.length > 0) {
    read.problems.push(`${read.named(name)} must be true, a hop count, or proxy addresses, CIDR ranges and ${PROXY_KEYWORDS.join('/')}, got "${bad.join('", "')}"`);
  }
  return items;
}

/** An http(s) origin with an optional path, without a query or fragment; kept without its trailing slash. */
function readPublicUrl(read: EnvReader, name: string): string | undefined {
  const raw = read.url(name, ['http', 'https']);
  if (raw === undefined) return undefined;
  if (!URL.canParse(raw) || /[?#]/.test(raw)) {
    read.problems.push(`${read.named(name)} must be an http(s) URL without a query or fragment, got "${raw}"`);
    return undefined;
  }
  return raw.replace(/\/+$/, '');
}

/** A byte count, or `unlimited` (the default). */
function readQuota(read: EnvReader, name: string): number | null {
  const raw = read.string(name);
  if (raw === undefined || raw === 'unlimited') return null;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    read.problems.push(`${read.named(name)} must be a number of bytes or "unlimited", got "${raw}"`);
    return null;
  }
  return Number(raw);
}

export function loadConfig(env: Env = process.env): Config {
  const read = new EnvReader(env);

  const dbUrl = read.serviceUrl('DB', 'localhost');
  // A database named in DB_URL's path wins, as the rest of that URL does.
  const dbNameInUrl = decodeURIComponent(/^[^:]+:\/\/[^/?]*\/([^?]*)/.exec(dbUrl === read.string('DB_URL') ? dbUrl : '')?.[1] ?? '');
  const dbName = dbNameInUrl || (read.string('DB_DATABASE') ?? 'files_manager');
  if (!/^[^/\\. "$*<>:|?]{1,63}$/.test(dbName)) {
    read.problems.push(`the database name is not valid: "${dbName}"`);
  }
  const redisUrl = read.serviceUrl('REDIS', '127.0.0.1');

  const config: Config = {
    port: read.integer('PORT', 5000, 0, 65535),
    db: { url: dbUrl, name: dbName },
    redisUrl,
    folderPath: path.resolve(read.string('FOLDER_PATH') ?? DEFAULT_FOLDER_PATH),
    uploadMaxBytes: read.integer('UPLOAD_MAX_BYTES', 100 * MIB, 0, Number.MAX_SAFE_INTEGER),
    uploadExpirySeconds: read.integer('UPLOAD_EXPIRY_SECONDS', 86_400, 1, 365 * 86_400),
    workerConcurrency: read.integer('WORKER_CONCURRENCY', 2, 1, 256),
    trashRetentionDays: read.decimal('TRASH_RETENTION_DAYS', 30, 0, 36_500),
    quotaBytes: readQuota(read, 'QUOTA_BYTES'),
    passwordHash: read.oneOf('PASSWORD_HASH', PASSWORD_HASHES, 'sha1'),
    throttle: {
      loginMaxFailures: read.integer('LOGIN_MAX_FAILURES', 10, 1, 1_000_000),
      loginWindowSeconds: read.integer('LOGIN_WINDOW_SECONDS', 900, 1, 86_400),
      loginMaxFailuresPerAddress: read.integer('LOGIN_MAX_FAILURES_PER_ADDRESS', 100, 1, 1_000_000),
      signupMaxPerAddress: read.integer('SIGNUP_MAX_PER_ADDRESS', 20, 1, 1_000_000),
      signupWindowSeconds: read.integer('SIGNUP_WINDOW_SECONDS', 3600, 1, 86_400),
      exempt: read.addresses('THROTTLE_EXEMPT', DEFAULT_THROTTLE_EXEMPT),
    },
    trustProxy: readTrustProxy(read, 'TRUST_PROXY'),
    timeouts: {
      headersSeconds: read.integer('HEADERS_TIMEOUT_SECONDS', 20, 1, 3600),
      bodyGraceSeconds: read.integer('BODY_TIMEOUT_SECONDS', 20, 1, 3600),
      bodyMinBytesPerSecond: read.integer('BODY_MIN_BYTES_PER_SECOND', 500, 1, 1_000_000_000),
      keepAliveSeconds: read.integer('KEEP_ALIVE_TIMEOUT_SECONDS', 5, 1, 3600),
    },
    storage: readStorage(read),
    adminToken: read.secret('ADMIN_TOKEN', 16),
    urlSigningSecret: read.secret('URL_SIGNING_SECRET', 32),
    publicUrl: readPublicUrl(read, 'PUBLIC_URL'),
    connectTimeoutSeconds: read.integer('CONNECT_TIMEOUT_SECONDS', 60, 0, 3600),
  };

  throwProblems(read);
  return config;
}

/** A service URL's hosts and ports without its credentials or options, fit for a log line. */
export function addressOf(url: string): string {
  return /^[^:]+:\/\/(?:[^@/]*@)?([^/?]*)/.exec(url)?.[1] || '(no host)';
}

/** Fails with every problem `read` collected. */
function throwProblems(read: EnvReader): void {
  if (read.problems.length > 0) throw new ConfigError(read.problems);
}

/**
 * Service addresses that tooling (tests, `npm run dev`, the bench) should use instead of
 * starting its own, read as loadConfig reads them. Tests read `TEST_`-prefixed names so a
 * developer's shell settings for the running service never point the suite at real data.
 */
export function configuredServices(env: Env, prefix: '' | 'TEST_'): { dbUrl?: string; redisUrl?: string } {
  const read = new EnvReader(env, prefix);
  const named = { dbUrl: read.serviceUrl('DB', undefined), redisUrl: read.serviceUrl('REDIS', undefined) };
  throwProblems(read);
  return named;
}

/** A bucket the environment names for tooling to use, with `prefix` as in configuredServices. */
export type ConfiguredS3 = Omit<S3Settings, 'prefix'>;

/**
 * The bucket named by `AWS_ENDPOINT_URL_S3` and `S3_BUCKET` (with the prefix), read as
 * loadConfig reads them; undefined when neither is set.
 */
export function configuredS3(env: Env, prefix: '' | 'TEST_'): ConfiguredS3 | undefined {
  const read = new EnvReader(env, prefix);
  const { bucket, ...named } = read.bucket();
  throwProblems(read);
  if (named.endpoint === undefined && bucket === undefined) return undefined;
  const missing: string[] = [];
  if (bucket === undefined) missing.push(read.named('S3_BUCKET'));
  if (named.accessKeyId === undefined && named.secretAccessKey !== undefined) missing.push(read.named('AWS_ACCESS_KEY_ID'));
  if (named.secretAccessKey === undefined && named.accessKeyId !== undefined) missing.push(read.named('AWS_SECRET_ACCESS_KEY'));
  if (bucket === undefined || missing.length > 0) {
    throw new ConfigError([`An S3 server is named in the environment but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set.`]);
  }
  return { ...named, bucket };
}

let active: Config | undefined;

/** Makes `config` the one every module reads; the entry points call this once at start-up. */
export function useConfig(config: Config): Config {
  active = config;
  return config;
}

/**
 * The active configuration. Code that never called useConfig (a script using the seeds'
 * `redisClient` or `dbClient` on their own) gets the one the environment describes.
 */
export function config(): Config {
  return active ?? useConfig(loadConfig());
}
