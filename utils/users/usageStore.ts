import { MongoServerError, type FindCursor, type ObjectId } from 'mongodb';
import { dbClient, DUPLICATE_KEY, type UsageDoc } from '../db';

/**
 * The only module that queries `usage`. Every write is made under the user's quota lock
 * (utils/users/quota.ts), so each may rely on what was read under it.
 */

/** The counters of UsageDoc that change with the user's files. */
export type UsageTotals = Pick<UsageDoc, 'stored' | 'trash' | 'files' | 'uploads'>;

export const NO_USAGE: UsageTotals = { stored: 0, trash: 0, files: 0, uploads: 0 };

export async function findUsage(owner: ObjectId): Promise<UsageDoc | null> {
  return dbClient.usage.findOne({ _id: owner });
}

/** A user's counters as first counted; a document already there (another server's count) is kept. */
export async function insertUsage(owner: ObjectId, totals: UsageTotals): Promise<void> {
  try {
    await dbClient.usage.insertOne({ _id: owner, ...totals, leases: {} });
  } catch (error) {
    if (!(error instanceof MongoServerError) || error.code !== DUPLICATE_KEY) throw error;
  }
}

/** Adds `delta` to the counters and sets or ends leases (`undefined` ends one); false when the user has no counters yet. */
export async function changeUsage(
  owner: ObjectId,
  delta: Partial<UsageTotals>,
  leases: Record<string, UsageDoc['leases'][string] | undefined> = {},
): Promise<boolean> {
  const set: Record<string, unknown> = {};
  const unset: Record<string, ''> = {};
  for (const [id, lease] of Object.entries(leases)) {
    if (lease === undefined) unset[`leases.${id}`] = '';
    else set[`leases.${id}`] = lease;
  }
  const update = {
    ...(Object.keys(delta).length > 0 ? { $inc: delta } : {}),
    ...(Object.keys(set).length > 0 ? { $set: set } : {}),
    ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}),
  };
  if (Object.keys(update).length === 0) return true;
  return (await dbClient.usage.updateOne({ _id: owner }, update)).matchedCount > 0;
}

/** Replaces the leases of `owner` with `leases` (those still running). */
export async function replaceLeases(owner: ObjectId, leases: UsageDoc['leases']): Promise<void> {
  await dbClient.usage.updateOne({ _id: owner }, { $set: { leases } });
}

/** Sets the counters to what they should be (fsck's repair). */
export async function setTotals(owner: ObjectId, totals: UsageTotals): Promise<void> {
  await dbClient.usage.updateOne({ _id: owner }, { $set: totals });
}

/** `undefined` gives the user QUOTA_BYTES again; null is unlimited. */
export async function setQuota(owner: ObjectId, quota: number | null | undefined): Promise<void> {
  await dbClient.usage.updateOne({ _id: owner }, quota === undefined ? { $unset: { quota: '' } } : { $set: { quota } });
}

/** Every user's counters (or `owner`'s), for the consistency checker. */
export function scanUsage(owner?: ObjectId): FindCursor<UsageDoc> {
  return dbClient.usage.find(owner === undefined ? {} : { _id: owner }, { sort: { _id: 1 }, batchSize: 500 });
}
