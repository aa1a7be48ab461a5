import { randomUUID } from 'node:crypto';
import type { ObjectId } from 'mongodb';
import { treeBusy } from '../errors';
import { redisClient } from '../redis';

/**
 * One owner's folder tree changes shape (a move, a folder delete, a repair) under a lock in
 * Redis, shared by every server: `SET NX PX`, so a holder that dies frees it when it expires.
 * MongoDB-compatible servers here have no multi-document transactions, so this is what
 * serializes "check for a cycle, then move" and "walk a folder, then delete it".
 *
 * The lock is renewed while its holder works, and the holder checks it still owns the lock
 * (its fencing token: a per-owner counter with a random part) right before each write that
 * depends on what it read, so a holder paused past the expiry fails instead of writing.
 */

const LOCK_TTL_MS = 10_000;
const RENEW_EVERY_MS = LOCK_TTL_MS / 3;
/** How long a change waits for another one of the same owner (a big delete) before giving up. */
const WAIT_MS = 20_000;
const RETRY_MS = 25;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const ACQUIRE = `
local fence = redis.call('INCR', KEYS[2])
local token = fence .. ':' .. ARGV[1]
if redis.call('SET', KEYS[1], token, 'NX', 'PX', ARGV[2]) then return token end
return false`;

export interface TreeLock {
  /** Throws unless this holder still owns the lock: call it right before a write that relies on earlier reads. */
  assertHeld(): Promise<void>;
}

/** `keys`: the lock, then the owner's fencing counter. */
async function acquire(keys: [lock: string, fence: string]): Promise<string> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const token = await redisClient.eval(ACQUIRE, keys, [randomUUID(), String(LOCK_TTL_MS)]);
    if (typeof token === 'string') return token;
    if (Date.now() >= deadline) throw treeBusy();
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

/** Runs `work` holding `owner`'s tree lock; the lock is released whatever happens. */
export async function withTreeLock<T>(owner: ObjectId, work: (lock: TreeLock) => Promise<T>): Promise<T> {
  const id = owner.toHexString();
  const key = `tree_lock_${id}`;
  const token = await acquire([key, `tree_fence_${id}`]);
  let lost = false;
  const held = async (): Promise<boolean> => Number(await redisClient.eval(RENEW, [key], [token, String(LOCK_TTL_MS)])) === 1;
  const renewal = setInterval(() => {
    held().then(
      (still) => {
        lost ||= !still;
      },
      () => undefined,
    );
  }, RENEW_EVERY_MS);
  const lock: TreeLock = {
    async assertHeld() {
      // Paused past the expiry: another holder may have changed the tree since it was read.
      if (lost || !(await held())) throw treeBusy();
    },
  };
  try {
    return await work(lock);
  } finally {
    clearInterval(renewal);
    await redisClient.eval(RELEASE, [key], [token]).catch(() => undefined);
  }
}
