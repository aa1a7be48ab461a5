import type { ObjectId } from 'mongodb';
import type { UploadDoc } from '../../db';
import { dbClient } from '../../db';

/** The only module that queries `uploads`. Every write after creation is conditional on the offset it read. */

export async function insertUpload(upload: UploadDoc): Promise<void> {
  await dbClient.uploads.insertOne(upload);
}

export async function findUpload(id: string): Promise<UploadDoc | null> {
  return dbClient.uploads.findOne({ _id: id });
}

export type UploadProgress = Pick<UploadDoc, 'offset' | 'staging' | 'expiresAt'>;

/** Records bytes appended after `from`; false when another request moved the offset first. */
export async function recordProgress(id: string, from: number, progress: UploadProgress): Promise<boolean> {
  const { matchedCount } = await dbClient.uploads.updateOne({ _id: id, offset: from }, { $set: progress });
  return matchedCount === 1;
}

/**
 * The file's document exists, and the owner's usage counts the upload's length as the file's: the
 * upload is kept until `expiresAt` only to answer HEAD with its id.
 */
export async function markDone(id: string, expiresAt: Date): Promise<void> {
  await dbClient.uploads.updateOne({ _id: id }, { $set: { done: true, counted: true, expiresAt } });
}

export async function deleteUpload(id: string): Promise<void> {
  await dbClient.uploads.deleteOne({ _id: id });
}

/** Uploads past their expiry, oldest first (by the index on `expiresAt`). */
export async function findExpired(now: Date, limit: number): Promise<UploadDoc[]> {
  return dbClient.uploads.find({ expiresAt: { $lte: now } }).sort({ expiresAt: 1 }).limit(limit).toArray();
}

const UNFINISHED = { done: { $ne: true } } as const;

/** Upload-Length of `owner`'s unfinished uploads, summed: what they count against the quota. */
export async function unfinishedLengthOf(owner: ObjectId): Promise<number> {
  let total = 0;
  for await (const { length } of dbClient.uploads.find({ userId: owner, ...UNFINISHED }, { projection: { length: 1 } })) total += length;
  return total;
}

/** The same for every user who has any (hex id to bytes), for the consistency checker. */
export async function unfinishedLengths(): Promise<Map<string, number>> {
  const totals = new Map<string, number>();
  for await (const { userId, length } of dbClient.uploads.find(UNFINISHED, { projection: { userId: 1, length: 1 } })) {
    totals.set(userId.toHexString(), (totals.get(userId.toHexString()) ?? 0) + length);
  }
  return totals;
}
