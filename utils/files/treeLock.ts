import type { ObjectId } from 'mongodb';
import { treeBusy } from '../errors';
import { type HeldLock, withRedisLock } from '../redisLock';

/**
 * One owner's folder tree changes shape (a move, a folder delete, a repair) under one lock
 * (utils/redisLock.ts): it is what serializes "check for a cycle, then move" and "walk a folder,
 * then delete it" across servers.
 */

/** How long a change waits for another one of the same owner (a big delete) before giving up. */
const WAIT_MS = 20_000;

export type TreeLock = HeldLock;

/** Runs `work` holding `owner`'s tree lock; the lock is released whatever happens. */
export function withTreeLock<T>(owner: ObjectId, work: (lock: TreeLock) => Promise<T>): Promise<T> {
  const id = owner.toHexString();
  return withRedisLock({ keys: [`tree_lock_${id}`, `tree_fence_${id}`], waitMs: WAIT_MS, busy: treeBusy }, work);
}
