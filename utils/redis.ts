import { ClientOfflineError, createClient } from 'redis';
import { log } from './log';

type Client = ReturnType<typeof createClient>;

export class RedisClient {
  private client: Client | undefined;
  private closing: Promise<void> | undefined;
  private reportedOutage = false;

  async connect(url: string): Promise<void> {
    if (this.client !== undefined) throw new Error('RedisClient is already connected');
    const client = createClient({
      url,
      // Without this, commands sent during an outage wait in memory for the reconnect and
      // requests hang; failing at once lets the API answer 503 promptly.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 1000,
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 1000),
      },
    });
    // One line per outage, not one per reconnect attempt.
    client.on('error', (error: unknown) => {
      if (!this.reportedOutage) log.error('Redis connection lost', error);
      this.reportedOutage = true;
    });
    client.on('ready', () => {
      if (this.reportedOutage) log.info('Redis connection restored');
      this.reportedOutage = false;
    });
    this.client = client;
    this.closing = undefined;
    await client.connect();
  }

  isAlive(): boolean {
    return this.client?.isReady ?? false;
  }

  async get(key: string): Promise<string | null> {
    return this.connected.get(key);
  }

  async set(key: string, value: string, durationSeconds: number): Promise<void> {
    await this.connected.set(key, value, { EX: durationSeconds });
  }

  async del(key: string): Promise<void> {
    await this.connected.del(key);
  }

  /** Seconds left before `key` expires, at least 1 (for a Retry-After header). */
  async ttl(key: string): Promise<number> {
    return Math.max(await this.connected.ttl(key), 1);
  }

  /**
   * Adds one to a counter that lives `windowSeconds` from its first increment, and returns
   * the new count with the seconds left in its window.
   */
  async increment(key: string, windowSeconds: number): Promise<{ count: number; ttlSeconds: number }> {
    const client = this.connected;
    // node-redis queues MULTI while offline even with disableOfflineQueue, and fails it only
    // when the next reconnect fails, with a bare socket error: fail now, as single commands do.
    if (!client.isReady) throw new ClientOfflineError();
    const [count, , ttl] = await client
      .multi()
      .incr(key)
      .expire(key, windowSeconds, 'NX')
      .ttl(key)
      .exec();
    return { count: Number(count), ttlSeconds: Math.max(Number(ttl), 1) };
  }

  /** Safe to call twice or before connect(). */
  close(): Promise<void> {
    const client = this.client;
    if (client === undefined) return this.closing ?? Promise.resolve();
    this.client = undefined;
    this.closing = (client.isReady ? client.quit().then(() => undefined) : client.disconnect()).catch(
      (error: unknown) => log.error('closing Redis failed', error),
    );
    return this.closing;
  }

  private get connected(): Client {
    if (this.client === undefined) throw new Error('RedisClient.connect() has not been called');
    return this.client;
  }
}

export const redisClient = new RedisClient();
export default redisClient;
