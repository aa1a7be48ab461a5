import { randomUUID } from 'node:crypto';
import type { HttpError } from './errors';
import { redisClient } from './redis';

/**
 * A lock in Redis shared by every server: `SET NX PX`, so a holder that dies frees it when it
 * expires. MongoDB-compatible servers here have no multi-document transactions, so this is what
 * serializes a read-then-write across servers (a move, a folder delete, a resumable upload's append).
 *
 * The lock is renewed while its holder works, and the holder checks it still owns the lock
 * (its fencing token: a counter with a random part) right before each write that depends on what
 * it read, so a holder paused past the expiry fails instead of writing.
 */

const LOCK_TTL_MS = 10_000;
const RENEW_EVERY_MS = LOCK_TTL_MS / 3;
const RETRY_MS = 25;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const ACQUIRE = `
local fence = redis.call('INCR', KEYS[2])
local token = fence .. ':' .. ARGV[1]
if redis.call('SET', KEYS[1], token, 'NX', 'PX', ARGV[2]) then return token end
return false`;

export interface HeldLock {
  /** Throws unless this holder still owns the lock: call it right before a write that relies on earlier reads. */
  assertHeld(): Promise<void>;
}

export interface LockSpec {
  /** The lock's key, and the key of the counter its fencing tokens come from. */
  keys: [lock: string, fence: string];
  /** How long to wait for another holder before failing with `busy()`. */
  waitMs: number;
  /** The error for a lock held too long by another, or lost by this holder. */
  busy: () => HttpError;
  /** Called once when the lock is found taken, before waiting: a way to ask the holder to finish sooner. */
  onWait?: () => Promise<void>;
}

async function acquire({ keys, waitMs, busy, onWait }: LockSpec): Promise<string> {
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt += 1) {
    const token = await redisClient.eval(ACQUIRE, keys, [randomUUID(), String(LOCK_TTL_MS)]);
    if (typeof token === 'string') return token;
    if (Date.now() >= deadline) throw busy();
    if (attempt === 0) await onWait?.();
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

/** Runs `work` holding the lock; the lock is released whatever happens. */
export async function withRedisLock<T>(spec: LockSpec, work: (lock: HeldLock) => Promise<T>): Promise<T> {
  const [key] = spec.keys;
  const token = await acquire(spec);
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
  const lock: HeldLock = {
    async assertHeld() {
      // Paused past the expiry: another holder may have written since this one read.
      if (lost || !(await held())) throw spec.busy();
    },
  };
  try {
    return await work(lock);
  } finally {
    clearInterval(renewal);
    await redisClient.eval(RELEASE, [key], [token]).catch(() => undefined);
  }
}
