import { config } from './config';
import { dbClient } from './db';
import { queues } from './queues';
import { redisClient } from './redis';
import { prepareFolder } from './storage';

/** Connects every client the server and the worker share, in the order they depend on. */
export async function connectClients(): Promise<void> {
  const { db, redisUrl } = config();
  await prepareFolder();
  await dbClient.connect(db.url, db.name);
  await redisClient.connect(redisUrl);
  await queues.connect(redisUrl);
}

/** Closes them in reverse order; safe to call more than once. */
export async function closeClients(): Promise<void> {
  await queues.close();
  await redisClient.close();
  await dbClient.close();
}
