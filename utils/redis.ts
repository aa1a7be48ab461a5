import { ClientOfflineError, createClient } from 'redis';
import { config } from './config';
import { log } from './log';

type Client = ReturnType<typeof createClient>;

/**
 * The seeds' Redis client: `isAlive()`, `get`, `set(key, value, seconds)` and `del`, usable
 * as soon as it is imported. The first call connects it; a process that never calls
 * `connect()` (a script) is not kept alive by the idle connection, so it exits when its own
 * work is done. The server and the worker call `connect()` at start, so a bad address fails
 * the start rather than the first request.
 */
export class RedisClient {
  private client: Client | undefined;
  private opening: Promise<Client> | undefined;
  private closing: Promise<void> | undefined;
  /** Set by connect(): the process lives for this client, so its socket keeps the process alive. */
  private held = false;
  private commandsInFlight = 0;
  private reportedOutage = false;
  /** Bumped by close(), so a connection that completes after it is dropped instead of kept. */
  private generation = 0;

  async connect(url: string = config().redisUrl): Promise<void> {
    if (this.client !== undefined && this.held) throw new Error('RedisClient is already connected');
    this.held = true;
    const client = await (this.opening ?? this.open(url));
    client.ref();
  }

  /** Live state; the first call also starts connecting, so a poll of it turns true by itself. */
  isAlive(): boolean {
    // Not awaited: startLazily() keeps its own failure, and the next call retries.
    if (this.client === undefined) void this.startLazily();
    return this.client?.isReady ?? false;
  }

  async get(key: string): Promise<string | null> {
    return this.command((client) => client.get(key));
  }

  /** Numbers are stored as their decimal text, as Redis does. */
  async set(key: string, value: string | number, durationSeconds: number): Promise<void> {
    await this.command((client) => client.set(key, String(value), { EX: durationSeconds }));
  }

  async del(key: string): Promise<void> {
    await this.command((client) => client.del(key));
  }

  /** Seconds before `key` expires: -1 without an expiry, -2 when there is no such key. */
  async ttl(key: string): Promise<number> {
    return this.command((client) => client.ttl(key));
  }

  /** Runs a Lua script atomically, for counters that must be checked and changed as one step. */
  async eval(script: string, keys: string[], args: string[]): Promise<unknown> {
    return this.command((client) => client.eval(script, { keys, arguments: args }));
  }

  /** Safe to call twice or before any use. */
  close(): Promise<void> {
    const client = this.client;
    this.held = false;
    this.opening = undefined;
    this.generation += 1;
    if (client === undefined) return this.closing ?? Promise.resolve();
    this.client = undefined;
    this.closing = client.isReady ? client.quit().then(() => undefined) : client.disconnect();
    return this.closing;
  }

  private async open(url: string): Promise<Client> {
    if (this.client !== undefined) return this.client;
    const generation = this.generation;
    let everReady = false;
    const client = createClient({
      url,
      // Without this, commands sent during an outage wait in memory for the reconnect and
      // requests hang; failing at once lets the API answer 503 promptly.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 1000,
        // A first connection that fails rejects connect() at once (returning the error stops the
        // retries), so the caller decides how long to wait and what to say; later outages retry forever.
        reconnectStrategy: (retries: number, cause: Error) => (everReady ? Math.min(100 * 2 ** retries, 1000) : cause),
      },
    });
    // One line per outage, not one per reconnect attempt; a first connection's failure is connect()'s to report.
    client.on('error', (error: unknown) => {
      // An outage is expected and answered (503 until the reconnect): its message says all
      // there is, and a stack would only show where node-redis noticed.
      if (everReady && !this.reportedOutage) log.error(`Redis connection lost: ${error instanceof Error ? error.message : String(error)}`);
      this.reportedOutage = true;
    });
    client.on('ready', () => {
      everReady = true;
      if (this.reportedOutage) log.info('Redis connection restored');
      this.reportedOutage = false;
    });
    this.closing = undefined;
    try {
      await client.connect();
    } catch (error) {
      await client.disconnect().catch(() => undefined);
      throw error;
    }
    if (generation !== this.generation) {
      await client.disconnect();
      throw new Error('RedisClient was closed while connecting');
    }
    this.client = client;
    if (!this.held && this.commandsInFlight === 0) client.unref();
    return client;
  }

  private startLazily(): Promise<Client> {
    this.opening ??= this.open(config().redisUrl).finally(() => {
      this.opening = undefined;
    });
    // isAlive() does not wait; a failed attempt is retried by the next call.
    this.opening.catch(() => undefined);
    return this.opening;
  }

  /**
   * While a command of an unheld client is in flight its socket is referenced, so a script
   * whose last act is a command still gets the reply before it exits.
   */
  private async command<T>(run: (client: Client) => Promise<T>): Promise<T> {
    this.commandsInFlight += 1;
    try {
      const client = this.client ?? (await this.startLazily());
      client.ref();
      // node-redis queues MULTI and scripts while offline even with disableOfflineQueue, and
      // fails them only at the next failed reconnect: fail now, as single commands do.
      if (!client.isReady) throw new ClientOfflineError();
      return await run(client);
    } finally {
      this.commandsInFlight -= 1;
      if (this.commandsInFlight === 0 && !this.held) this.client?.unref();
    }
  }
}

export const redisClient = new RedisClient();
export default redisClient;
