import { config } from './config';
import { dbClient } from './db';
import { log } from './log';
import { queues } from './queues';
import { redisClient } from './redis';
import { prepareFolder } from './storage';

/** Connects every client the server and the worker share, in the order they depend on. */
export async function connectClients(): Promise<void> {
  const { db, redisUrl } = config();
  await prepareFolder();
  await untilConnected('MongoDB', () => dbClient.connect(db.url, db.name));
  await redisClient.connect(redisUrl);
  await queues.connect(redisUrl);
}

/** Closes them in reverse order; safe to call more than once. */
export async function closeClients(): Promise<void> {
  await queues.close();
  await redisClient.close();
  await dbClient.close();
}

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
