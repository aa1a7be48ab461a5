import net from 'node:net';
import path from 'node:path';

/** Every setting the server, the worker and the scripts read; nothing else touches process.env. */
export interface Config {
  port: number;
  db: { url: string; name: string };
  redisUrl: string;
  folderPath: string;
  uploadMaxBytes: number;
  workerConcurrency: number;
  passwordHash: PasswordHash;
  throttle: Throttle;
  /** Express's `trust proxy`: false, true, a hop count, or the addresses of trusted proxies. */
  trustProxy: boolean | number | string[];
  timeouts: Timeouts;
  storage: StorageSettings;
  /** Opens /admin/queues to requests carrying it; unset, the page does not exist. */
  adminToken?: string;
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

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const MIB = 1024 * 1024;
const DEFAULT_FOLDER_PATH = '/tmp/files_manager';
/** Loopback clients are local scripts, graders and health checks, as fail2ban's default ignoreip has it. */
const DEFAULT_THROTTLE_EXEMPT = '127.0.0.1/8,::1';
/** Names Express's `trust proxy` understands besides addresses. */
const PROXY_KEYWORDS = ['loopback', 'linklocal', 'uniquelocal'];

/** An address or a CIDR range, as `[address, prefix, family]`; undefined when it is neither. */
function parseCidr(text: string): [string, number, 'ipv4' | 'ipv6'] | undefined {
  const [address = '', prefixText, ...rest] = text.split('/');
  const version = net.isIP(address);
  if (version === 0 || rest.length > 0) return undefined;
  const bits = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= bits)) return undefined;
  return [address, prefix, version === 4 ? 'ipv4' : 'ipv6'];
}

/** Collects every bad variable so one start-up failure lists them all. */
class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  /** Empty counts as unset: `FOO= npm start` should mean "use the default". */
  string(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  /** A prefix check only: `new URL` rejects MongoDB's multi-host seed lists. */
  url(name: string, schemes: readonly string[]): string | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    if (!schemes.some((scheme) => raw.startsWith(`${scheme}://`))) {
      this.problems.push(`${name} must start with ${schemes.map((scheme) => `${scheme}://`).join(' or ')}`);
      return undefined;
    }
    return raw;
  }

  oneOf<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const match = choices.find((choice) => choice === raw);
    if (match === undefined) {
      this.problems.push(`${name} must be one of ${choices.join(', ')}, got "${raw}"`);
      return fallback;
    }
    return match;
  }

  /** A comma-separated list; empty items are dropped. */
  list(name: string, fallback: string): string[] {
    return (this.string(name) ?? fallback)
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  addresses(name: string, fallback: string): net.BlockList {
    const blockList = new net.BlockList();
    const items = this.list(name, fallback);
    if (items.length === 1 && items[0] === 'none') return blockList;
    const bad = items.filter((item) => {
      const cidr = parseCidr(item);
      if (cidr !== undefined) blockList.addSubnet(...cidr);
      return cidr === undefined;
    });
    if (bad.length > 0) this.problems.push(`${name} must be "none" or addresses and CIDR ranges, got "${bad.join('", "')}"`);
    return blockList;
  }

  /** A shared secret; short ones are refused, since anyone may try them. */
  secret(name: string, minLength: number): string | undefined {
    const raw = this.string(name);
    if (raw !== undefined && raw.length < minLength) this.problems.push(`${name} must be at least ${minLength} characters`);
    return raw;
  }

  /** STORAGE and, for `s3`, the AWS SDK's standard variables plus S3_BUCKET and S3_PREFIX. */
  storage(): StorageSettings {
    const driver = this.oneOf('STORAGE', STORAGE_DRIVERS, 'local');
    if (driver === 'local') return { driver };
    const bucket = this.string('S3_BUCKET');
    if (bucket === undefined) this.problems.push('S3_BUCKET must name the bucket when STORAGE=s3');
    const endpoint = this.url('AWS_ENDPOINT_URL_S3', ['http', 'https']);
    const accessKeyId = this.string('AWS_ACCESS_KEY_ID');
    const secretAccessKey = this.string('AWS_SECRET_ACCESS_KEY');
    if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
      this.problems.push('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together, or neither');
    }
    return {
      driver,
      s3: { bucket: bucket ?? '', prefix: this.env.S3_PREFIX ?? '', region: this.string('AWS_REGION') ?? 'us-east-1', endpoint, accessKeyId, secretAccessKey },
    };
  }

  trustProxy(name: string): Config['trustProxy'] {
    const raw = this.string(name);
    if (raw === undefined || raw === 'false') return false;
    if (raw === 'true') return true;
    if (/^\d+$/.test(raw)) return this.integer(name, 0, 0, 100);
    const items = this.list(name, '');
    const bad = items.filter((item) => !PROXY_KEYWORDS.includes(item) && parseCidr(item) === undefined);
    if (bad.length > 0) {
      this.problems.push(`${name} must be true, a hop count, or proxy addresses, CIDR ranges and ${PROXY_KEYWORDS.join('/')}, got "${bad.join('", "')}"`);
    }
    return items;
  }
}

function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function loadConfig(env: Env = process.env): Config {
  const read = new EnvReader(env);

  const fullDbUrl = read.url('DB_URL', ['mongodb', 'mongodb+srv']);
  const dbUrl =
    fullDbUrl ??
    `mongodb://${hostPort(read.string('DB_HOST') ?? 'localhost', read.integer('DB_PORT', 27017, 1, 65535))}`;
  // A database named in DB_URL's path wins, as the rest of that URL does.
  const dbNameInUrl = decodeURIComponent(/^[^:]+:\/\/[^/?]*\/([^?]*)/.exec(fullDbUrl ?? '')?.[1] ?? '');
  const dbName = dbNameInUrl || (read.string('DB_DATABASE') ?? 'files_manager');
  if (!/^[^/\\. "$*<>:|?]{1,63}$/.test(dbName)) {
    read.problems.push(`the database name is not valid: "${dbName}"`);
  }

  const redisUrl =
    read.url('REDIS_URL', ['redis', 'rediss']) ??
    `redis://${hostPort(read.string('REDIS_HOST') ?? '127.0.0.1', read.integer('REDIS_PORT', 6379, 1, 65535))}`;

  const config: Config = {
    port: read.integer('PORT', 5000, 0, 65535),
    db: { url: dbUrl, name: dbName },
    redisUrl,
    folderPath: path.resolve(read.string('FOLDER_PATH') ?? DEFAULT_FOLDER_PATH),
    uploadMaxBytes: read.integer('UPLOAD_MAX_BYTES', 100 * MIB, 0, Number.MAX_SAFE_INTEGER),
    workerConcurrency: read.integer('WORKER_CONCURRENCY', 2, 1, 256),
    passwordHash: read.oneOf('PASSWORD_HASH', PASSWORD_HASHES, 'sha1'),
    throttle: {
      loginMaxFailures: read.integer('LOGIN_MAX_FAILURES', 10, 1, 1_000_000),
      loginWindowSeconds: read.integer('LOGIN_WINDOW_SECONDS', 900, 1, 86_400),
      loginMaxFailuresPerAddress: read.integer('LOGIN_MAX_FAILURES_PER_ADDRESS', 100, 1, 1_000_000),
      signupMaxPerAddress: read.integer('SIGNUP_MAX_PER_ADDRESS', 20, 1, 1_000_000),
      signupWindowSeconds: read.integer('SIGNUP_WINDOW_SECONDS', 3600, 1, 86_400),
      exempt: read.addresses('THROTTLE_EXEMPT', DEFAULT_THROTTLE_EXEMPT),
    },
    trustProxy: read.trustProxy('TRUST_PROXY'),
    timeouts: {
      headersSeconds: read.integer('HEADERS_TIMEOUT_SECONDS', 20, 1, 3600),
      bodyGraceSeconds: read.integer('BODY_TIMEOUT_SECONDS', 20, 1, 3600),
      bodyMinBytesPerSecond: read.integer('BODY_MIN_BYTES_PER_SECOND', 500, 1, 1_000_000_000),
      keepAliveSeconds: read.integer('KEEP_ALIVE_TIMEOUT_SECONDS', 5, 1, 3600),
    },
    storage: read.storage(),
    adminToken: read.secret('ADMIN_TOKEN', 16),
    connectTimeoutSeconds: read.integer('CONNECT_TIMEOUT_SECONDS', 60, 0, 3600),
  };

  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return config;
}

/** A service URL's hosts and ports without its credentials or options, fit for a log line. */
export function addressOf(url: string): string {
  return /^[^:]+:\/\/(?:[^@/]*@)?([^/?]*)/.exec(url)?.[1] || '(no host)';
}

/**
 * Service addresses that tooling (tests, `npm run dev`, the bench) should use instead of
 * starting its own. Tests read `TEST_`-prefixed names so a developer's shell settings for
 * the running service never point the suite at real data.
 */
export function configuredServices(env: Env, prefix: '' | 'TEST_'): { dbUrl?: string; redisUrl?: string } {
  const named = (suffix: string): string | undefined => {
    const value = env[prefix + suffix];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const dbHost = named('DB_HOST');
  const redisHost = named('REDIS_HOST');
  return {
    dbUrl: named('DB_URL') ?? (dbHost && `mongodb://${hostPort(dbHost, Number(named('DB_PORT') ?? 27017))}`),
    redisUrl:
      named('REDIS_URL') ?? (redisHost && `redis://${hostPort(redisHost, Number(named('REDIS_PORT') ?? 6379))}`),
  };
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
