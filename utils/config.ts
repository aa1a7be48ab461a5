import path from 'node:path';

/** Every setting the server and the worker read; nothing else touches process.env. */
export interface Config {
  port: number;
  db: { url: string; name: string };
  redisUrl: string;
  folderPath: string;
  uploadMaxBytes: number;
  workerConcurrency: number;
  passwordHash: PasswordHash;
  rateLimits: RateLimits;
}

export const PASSWORD_HASHES = ['sha1', 'scrypt'] as const;
export type PasswordHash = (typeof PASSWORD_HASHES)[number];

export interface RateLimits {
  /** Failed logins allowed per email, and per client address, within the window. */
  loginFailures: number;
  loginWindowSeconds: number;
  /** Sign-ups allowed per client address within the window. */
  signups: number;
  signupWindowSeconds: number;
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
    rateLimits: {
      loginFailures: read.integer('LOGIN_MAX_FAILURES', 10, 1, 1_000_000),
      loginWindowSeconds: read.integer('LOGIN_WINDOW_SECONDS', 900, 1, 86_400),
      signups: read.integer('SIGNUP_MAX_PER_ADDRESS', 20, 1, 1_000_000),
      signupWindowSeconds: read.integer('SIGNUP_WINDOW_SECONDS', 3600, 1, 86_400),
    },
  };

  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return config;
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

export function config(): Config {
  if (active === undefined) throw new Error('useConfig() must run before the configuration is read');
  return active;
}
