import net from 'node:net';

/**
 * Reading environment variables: the checks and the collected problems that utils/config.ts
 * builds the configuration from. Nothing here knows what a setting is for.
 */

export type Env = Readonly<Record<string, string | undefined>>;

/** An address or a CIDR range, as `[address, prefix, family]`; undefined when it is neither. */
export function parseCidr(text: string): [string, number, 'ipv4' | 'ipv6'] | undefined {
  const [address = '', prefixText, ...rest] = text.split('/');
  const version = net.isIP(address);
  if (version === 0 || rest.length > 0) return undefined;
  const bits = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= bits)) return undefined;
  return [address, prefix, version === 4 ? 'ipv4' : 'ipv6'];
}

/** The services named by `<NAME>_URL`, or `<NAME>_HOST` and `<NAME>_PORT`. */
const SERVICES = {
  DB: { schemes: ['mongodb', 'mongodb+srv'], defaultPort: 27017 },
  REDIS: { schemes: ['redis', 'rediss'], defaultPort: 6379 },
} as const;
type ServiceName = keyof typeof SERVICES;

/** Where an S3 bucket is, as the environment names it; checked by whoever needs more. */
export interface NamedBucket {
  bucket?: string;
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  region: string;
}

/**
 * Collects every bad variable so one start-up failure lists them all. `prefix` (`TEST_` for the
 * suite) is put before every name read, and so appears in every problem reported.
 */
export class EnvReader {
  readonly problems: string[] = [];

  constructor(
    private readonly env: Env,
    private readonly prefix: '' | 'TEST_' = '',
  ) {}

  /** The name as the environment spells it, for messages. */
  named(name: string): string {
    return this.prefix + name;
  }

  /** The value as set, untrimmed, for the few where blanks mean something. */
  raw(name: string): string | undefined {
    return this.env[this.named(name)];
  }

  /** Empty counts as unset: `FOO= npm start` should mean "use the default". */
  string(name: string): string | undefined {
    const value = this.env[this.named(name)];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push(`${this.named(name)} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  /** A decimal number, for settings where a fraction makes sense (a test's trash retention of seconds). */
  decimal(name: string, fallback: number, min: number, max: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isFinite(value) || value < min || value > max) {
      this.problems.push(`${this.named(name)} must be a number from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  /** A prefix check only: `new URL` rejects MongoDB's multi-host seed lists. */
  url(name: string, schemes: readonly string[]): string | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    if (!schemes.some((scheme) => raw.startsWith(`${scheme}://`))) {
      this.problems.push(`${this.named(name)} must start with ${schemes.map((scheme) => `${scheme}://`).join(' or ')}`);
      return undefined;
    }
    return raw;
  }

  oneOf<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const match = choices.find((choice) => choice === raw);
    if (match === undefined) {
      this.problems.push(`${this.named(name)} must be one of ${choices.join(', ')}, got "${raw}"`);
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
    if (bad.length > 0) this.problems.push(`${this.named(name)} must be "none" or addresses and CIDR ranges, got "${bad.join('", "')}"`);
    return blockList;
  }

  /** A shared secret; short ones are refused, since anyone may try them. */
  secret(name: string, minLength: number): string | undefined {
    const raw = this.string(name);
    if (raw !== undefined && raw.length < minLength) this.problems.push(`${this.named(name)} must be at least ${minLength} characters`);
    return raw;
  }

  /** S3_BUCKET, AWS_ENDPOINT_URL_S3 (absent: AWS itself), the two keys and AWS_REGION (default us-east-1). */
  bucket(): NamedBucket {
    return {
      bucket: this.string('S3_BUCKET'),
      endpoint: this.url('AWS_ENDPOINT_URL_S3', ['http', 'https']),
      accessKeyId: this.string('AWS_ACCESS_KEY_ID'),
      secretAccessKey: this.string('AWS_SECRET_ACCESS_KEY'),
      region: this.string('AWS_REGION') ?? 'us-east-1',
    };
  }

  /** `<NAME>_URL`, else `<NAME>_HOST` (or `fallbackHost`) and `<NAME>_PORT`; undefined when no host is known. */
  serviceUrl(name: ServiceName, fallbackHost: string): string;
  serviceUrl(name: ServiceName, fallbackHost: undefined): string | undefined;
  serviceUrl(name: ServiceName, fallbackHost: string | undefined): string | undefined {
    const { schemes, defaultPort } = SERVICES[name];
    const url = this.url(`${name}_URL`, schemes);
    if (url !== undefined) return url;
    const host = this.string(`${name}_HOST`) ?? fallbackHost;
    const port = this.integer(`${name}_PORT`, defaultPort, 1, 65535);
    return host === undefined ? undefined : `${schemes[0]}://${hostPort(host, port)}`;
  }

}

export function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}
