import { addressOf, config } from './config';
import { dbClient } from './db';
import { claimStores } from './storage/ownership';
import { closeByteStores, prepareByteStores } from './storage/stores';
import { StartupError } from './lifecycle';
import { log } from './log';
import { queues } from './queues';
import { redisClient } from './redis';

/** The connected clients the server, the worker and the scripts share, opened and closed in one order. */

interface Dependency {
  what: string;
  url: string;
  /** The variable that points us at it. */
  variable: string;
  connect: () => Promise<void>;
}

/**
 * Start-up waits for a service that is still booting (containers start in any order) for
 * CONNECT_TIMEOUT_SECONDS. What is wrong is said once, in one line that names the address and
 * the variable to change; a stack trace would only bury it.
 */
async function untilConnected({ what, url, variable, connect }: Dependency): Promise<void> {
  const windowSeconds = config().connectTimeoutSeconds;
  const deadline = Date.now() + windowSeconds * 1000;
  let complaint: string | undefined;
  for (;;) {
    try {
      await connect();
      if (complaint !== undefined) log.info(`${what} at ${addressOf(url)} answered`);
      return;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const line = `${what} at ${addressOf(url)} is not reachable (${reason}): set ${variable} to its address`;
      if (Date.now() >= deadline) throw new StartupError(complaint ?? line, { alreadySaid: complaint !== undefined });
      if (complaint === undefined) {
        complaint = `${line}. Retrying for up to ${windowSeconds} s, then exiting.`;
        log.error(complaint);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** Connects every client, in the order they depend on. */
export async function connectClients(): Promise<void> {
  const { db, redisUrl } = config();
  await untilConnected({ what: 'the database', url: db.url, variable: 'DB_URL', connect: () => dbClient.connect() });
  // A folder or bucket that is missing or refuses us says so in its error's message; a stack trace adds nothing.
  await prepareByteStores().catch((error: unknown) => {
    throw new StartupError(error instanceof Error ? error.message : String(error));
  });
  // Only once the database is known can its stores be told apart from another deployment's.
  await claimStores();
  await untilConnected({ what: 'Redis', url: redisUrl, variable: 'REDIS_URL', connect: () => redisClient.connect() });
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
