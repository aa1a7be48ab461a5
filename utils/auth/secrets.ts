import { randomBytes } from 'node:crypto';
import { Binary, MongoServerError } from 'mongodb';
import { dbClient, DUPLICATE_KEY } from '../db';

/** The only module that queries the `secrets` collection. */

const KEY_BYTES = 32;

/**
 * The key named `name`, made by the first server that asks: every server inserts its own
 * candidate and the unique `_id` keeps the first, which all of them then read. Deleting the
 * document (and restarting the servers, which keep the key in memory) rotates it.
 */
export async function sharedKey(name: string): Promise<Buffer> {
  try {
    await dbClient.secrets.insertOne({ _id: name, key: new Binary(randomBytes(KEY_BYTES)), createdAt: new Date() });
  } catch (error) {
    if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
  }
  const stored = await dbClient.secrets.findOne({ _id: name });
  if (stored === null) throw new Error(`the shared key ${name} vanished as it was made`);
  return Buffer.from(stored.key.buffer);
}
