import { dbClient } from './db';
import { closeByteStores, prepareByteStores } from './files/storage';
import { log } from './log';
import { queues } from './queues';
import { redisClient } from './redis';

/** The connected clients the server, the worker and the scripts share, opened and closed in one order. */

const CONNECT_DEADLINE_MS = 60_000;

/**
 * Start-up waits for a database that is still booting (containers start in any order),
 * for up to a minute, then fails with the last error.
 */
async function untilConnected(what: string, connect: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + CONNECT_DEADLINE_MS;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await connect();
      return;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      if (attempt === 1) log.error(`${what} is not reachable yet, retrying for up to ${CONNECT_DEADLINE_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** Connects every client, in the order they depend on. */
export async function connectClients(): Promise<void> {
  await prepareByteStores();
  await untilConnected('MongoDB', () => dbClient.connect());
  await redisClient.connect();
  await queues.connect();
}

/**
 * Closes them in reverse order; safe to call more than once. Every client is closed even
 * when one fails, and the first failure is then thrown, so a process stopping uncleanly
 * exits non-zero.
 */
export async function closeClients(): Promise<void> {
  const failures: unknown[] = [];
  for (const close of [() => queues.close(), () => redisClient.close(), () => dbClient.close(), closeByteStores]) {
    await close().catch((error: unknown) => failures.push(error));
  }
  if (failures.length > 0) throw failures[0];
}
