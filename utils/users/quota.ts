import { randomUUID } from 'node:crypto';
import type { ObjectId } from 'mongodb';
import { z } from 'zod';
import { config } from '../config';
import type { UsageDoc } from '../db';
import { isServiceOutage, quotaExceeded, serviceUnavailable } from '../errors';
import { unfinishedLengthOf } from '../files/resumable/store';
import { totalsOf } from '../files/store';
import { log } from '../log';
import { type HeldLock, withRedisLock } from '../redisLock';
import type { Allowance } from '../storage/byteStore';
import { changeUsage, findUsage, insertUsage, NO_USAGE, setQuota, setTotals, type UsageTotals } from './usageStore';

/**
 * What each user's files take, and their quota. The counters change with every upload, delete,
 * trash, restore and purge, by exactly what changed, under the user's quota lock: FerretDB loses
 * one of two concurrent updates of a document, and a check of the quota must see every upload
 * that passed its own check. Nothing sums a user's files except the first count of an account
 * older than quotas and fsck's check.
 *
 * `used` = stored bytes (the trash's included) + unfinished resumable uploads (their declared
 * length) + leases: what uploads streaming now may still write, each renewed while it runs and
 * lapsing a minute after its server died.
 */

const LOCK_WAIT_MS = 10_000;
const LEASE_MS = 60_000;
const RENEW_EVERY_MS = LEASE_MS / 3;
/** How long an upload waits for other uploads' leases to end before it is refused. */
const LEASE_WAIT_MS = 10_000;
const LEASE_RETRY_MS = 50;
/** An upload of unknown size holds this much at first, and at least twice as much each time it needs more. */
const FIRST_HOLD_BYTES = 8 * 1024 * 1024;

export const UsageSchema = z.strictObject({
  used: z.number().int().meta({ description: 'Bytes counted against the quota: every file (the trash’s included), unfinished resumable uploads at their Upload-Length, and uploads under way' }),
  quota: z.number().int().nullable().meta({ description: 'Bytes; null when unlimited' }),
  trash: z.number().int().meta({ description: 'Bytes of the files in the trash' }),
  files: z.number().int().meta({ description: 'Files and images (not folders), the trash’s included' }),
});
export type Usage = z.infer<typeof UsageSchema>;

function withQuotaLock<T>(owner: ObjectId, work: (lock: HeldLock) => Promise<T>): Promise<T> {
  const id = owner.toHexString();
  return withRedisLock({ keys: [`quota_lock_${id}`, `quota_fence_${id}`], waitMs: LOCK_WAIT_MS, busy: serviceUnavailable }, work);
}

const quotaOf = (usage: UsageDoc | null): number | null => (usage?.quota === undefined ? config().quotaBytes : usage.quota);

/** Bytes held by leases still running, but for `except`'s. */
function leasedBytes(usage: UsageDoc, now: number, except?: string): number {
  let total = 0;
  for (const [id, lease] of Object.entries(usage.leases)) if (id !== except && lease.until.getTime() > now) total += lease.bytes;
  return total;
}

/** Leases past their time: their uploads' servers died. */
function lapsedLeases(usage: UsageDoc, now: number): Record<string, undefined> {
  return Object.fromEntries(Object.entries(usage.leases).flatMap(([id, lease]) => (lease.until.getTime() > now ? [] : [[id, undefined]])));
}

const usedOf = (usage: UsageDoc, now: number): number => usage.stored + usage.uploads + leasedBytes(usage, now);

/**
 * The user's counters; for an account with none yet (created before quotas, or whose sign-up
 * died between its two inserts), counted once from its documents. Called under the lock.
 */
async function countedUsage(owner: ObjectId): Promise<UsageDoc> {
  const existing = await findUsage(owner);
  if (existing !== null) return existing;
  const totals = await actualUsage(owner);
  await insertUsage(owner, totals);
  return { _id: owner, ...totals, leases: {} };
}

/** A new account's counters, all zero, so its first upload has nothing to count. */
export async function startUsage(owner: ObjectId): Promise<void> {
  await insertUsage(owner, NO_USAGE);
}

/** Under the lock: applies a change, counting the user's documents first when they have no counters yet. */
async function changeCounted(owner: ObjectId, lock: HeldLock | undefined, delta: Partial<UsageTotals>, leases: Parameters<typeof changeUsage>[2] = {}): Promise<void> {
  await lock?.assertHeld();
  if (await changeUsage(owner, delta, leases)) return;
  await countedUsage(owner);
  await changeUsage(owner, delta, leases);
}

const nonZero = (delta: Partial<UsageTotals>): Partial<UsageTotals> => Object.fromEntries(Object.entries(delta).filter(([, value]) => value !== 0));

/** Adds `delta` (negative for what went) to `owner`'s counters. */
export async function recordUsage(owner: ObjectId, delta: Partial<UsageTotals>): Promise<void> {
  const changes = nonZero(delta);
  if (Object.keys(changes).length === 0) return;
  await withQuotaLock(owner, (lock) => changeCounted(owner, lock, changes));
}

/** Changes a user's counters from inside withUsageLock, ending upload leases with the change. */
export type Count = (delta: Partial<UsageTotals>, endedLeases?: readonly string[]) => Promise<void>;

export interface UsageLockOptions {
  /**
   * When Redis is down, run `work` without the lock rather than fail: for a change no quota needs
   * kept exact at once (a race with another count is then drift that fsck mends).
   */
  unlockedIfRedisIsDown?: boolean;
}

/**
 * Runs `work` holding `owner`'s quota lock, with `count` to change their counters meanwhile.
 * What a tree walk reads and counts, and what an upload inserts and checks, each run whole inside
 * it, so an upload's document is counted once: by the upload, or by the trash or delete that
 * found it, never by both (see walkSubtree).
 */
export async function withUsageLock<T>(owner: ObjectId, work: (count: Count) => Promise<T>, options: UsageLockOptions = {}): Promise<T> {
  const counter =
    (lock: HeldLock | undefined): Count =>
    async (delta, endedLeases = []) => {
      const changes = nonZero(delta);
      if (Object.keys(changes).length === 0 && endedLeases.length === 0) return;
      await changeCounted(owner, lock, changes, Object.fromEntries(endedLeases.map((id) => [id, undefined])));
    };
  let begun = false;
  try {
    return await withQuotaLock(owner, (lock) => {
      begun = true;
      return work(counter(lock));
    });
  } catch (error) {
    if (begun || options.unlockedIfRedisIsDown !== true || !isServiceOutage(error)) throw error;
    return work(counter(undefined));
  }
}

/** `GET /users/me/usage`. */
export async function usageOf(owner: ObjectId): Promise<Usage> {
  const usage = (await findUsage(owner)) ?? (await withQuotaLock(owner, () => countedUsage(owner)));
  return { used: usedOf(usage, Date.now()), quota: quotaOf(usage), trash: usage.trash, files: usage.files };
}

/** Sets one user's quota: bytes, null for unlimited, undefined for QUOTA_BYTES. */
export async function setUserQuota(owner: ObjectId, quota: number | null | undefined): Promise<void> {
  await withQuotaLock(owner, async (lock) => {
    await countedUsage(owner);
    await lock.assertHeld();
    await setQuota(owner, quota);
  });
}

/**
 * A resumable upload's declared length counts from its creation, or 507 when it does not fit;
 * its finish moves it to `stored`, its end without a file gives it back (both `recordUsage`).
 */
export async function reserveResumable(owner: ObjectId, length: number): Promise<void> {
  await withQuotaLock(owner, async (lock) => {
    const usage = await countedUsage(owner);
    const quota = quotaOf(usage);
    if (quota !== null && usedOf(usage, Date.now()) + length > quota) throw quotaExceeded();
    await lock.assertHeld();
    await changeUsage(owner, { uploads: length });
  });
}

/** What an upload's commit changes in its owner's counters. */
export interface UsageChange extends UsageLockOptions {
  /** Added as the document is inserted, taken back when it does not stay. */
  delta: Partial<UsageTotals>;
  /** The upload's lease, ended by the commit whatever becomes of the document. */
  endedLease?: string;
}

/** What an upload's request says of its size before its bytes: exactly (a raw body's Content-Length), or at most. */
export interface ExpectedSize {
  exact?: number;
  atMost?: number;
}

/**
 * An upload's share of its owner's quota while its bytes arrive (`POST /files`, a drop folder's):
 * a lease of what it is expected to need, refused at once (507) when an exact size does not fit,
 * grown as more bytes come than it holds, made part of `stored` with the document once every byte
 * is stored (`settle`), given back by `cancel`. With no quota, nothing is held and only the commit counts.
 */
export class UploadAllowance implements Allowance {
  /** A field name of `leases`: no dots. */
  private readonly id = randomUUID().replaceAll('-', '');
  /** Unknown until opened; null: no quota to keep. */
  private quota: number | null | undefined;
  private held = 0;
  private leased = false;
  private renewal: NodeJS.Timeout | undefined;

  constructor(
    private readonly owner: ObjectId,
    private readonly expected: ExpectedSize,
  ) {}

  granted(): number {
    return this.quota === null ? Number.POSITIVE_INFINITY : this.held;
  }

  /** Before the first byte is written. */
  async open(): Promise<void> {
    if (quotaOf(await findUsage(this.owner)) === null) {
      this.quota = null;
      return;
    }
    const { exact, atMost } = this.expected;
    await this.hold(exact ?? 0, exact ?? atMost ?? FIRST_HOLD_BYTES);
  }

  /** More bytes came than are held: holds at least `total`, or fails the write with 507. */
  async grow(total: number): Promise<void> {
    const wanted = Math.min(Math.max(total, 2 * this.held, FIRST_HOLD_BYTES), this.expected.atMost ?? Number.POSITIVE_INFINITY);
    await this.hold(total, Math.max(wanted, total));
  }

  /**
   * Every byte is stored: what committing the upload changes in its owner's counters (applied
   * with its document's insert, by utils/files/upload/commit.ts): `size` counts as stored, and
   * the lease ends.
   */
  settle(size: number): UsageChange {
    this.stopRenewing();
    return { delta: { stored: size, files: 1 }, endedLease: this.leased ? this.id : undefined, unlockedIfRedisIsDown: this.quota === null };
  }

  /** The upload failed, or its document did not stay: ends the lease (a second time, harmlessly, when its commit did). Safe in any state. */
  async cancel(): Promise<void> {
    this.stopRenewing();
    if (!this.leased) return;
    this.leased = false;
    await withQuotaLock(this.owner, () => changeUsage(this.owner, {}, { [this.id]: undefined }));
  }

  /**
   * Holds between `minimum` and `wanted` bytes, as much as the quota leaves. When `minimum` fits
   * only once other uploads' leases end (they usually hold more than they turn out to need), it
   * waits for them; 507 when it cannot fit, or has waited LEASE_WAIT_MS.
   */
  private async hold(minimum: number, wanted: number): Promise<void> {
    const deadline = Date.now() + LEASE_WAIT_MS;
    while (!(await this.tryHold(minimum, wanted, Date.now() < deadline))) {
      await new Promise((resolve) => setTimeout(resolve, LEASE_RETRY_MS));
    }
    if (this.leased) this.renewal ??= setInterval(() => this.renew(), RENEW_EVERY_MS).unref();
  }

  /** False when it should wait for other leases. */
  private async tryHold(minimum: number, wanted: number, mayWait: boolean): Promise<boolean> {
    return withQuotaLock(this.owner, async (lock) => {
      const usage = await countedUsage(this.owner);
      const quota = quotaOf(usage);
      this.quota = quota;
      if (quota === null) return true;
      const now = Date.now();
      const others = leasedBytes(usage, now, this.id);
      const free = quota - usage.stored - usage.uploads - others;
      if (minimum > free) {
        if (mayWait && minimum <= free + others) return false;
        throw quotaExceeded();
      }
      const held = Math.max(minimum, Math.min(wanted, free));
      await lock.assertHeld();
      await changeUsage(this.owner, {}, { ...lapsedLeases(usage, now), [this.id]: { bytes: held, until: new Date(now + LEASE_MS) } });
      this.held = held;
      this.leased = true;
      return true;
    });
  }

  private renew(): void {
    withQuotaLock(this.owner, async () => {
      if (this.leased) await changeUsage(this.owner, {}, { [this.id]: { bytes: this.held, until: new Date(Date.now() + LEASE_MS) } });
    }).catch((error: unknown) => log.error('renewing an upload lease failed', error));
  }

  private stopRenewing(): void {
    clearInterval(this.renewal);
    this.renewal = undefined;
  }
}

const COUNTERS = ['stored', 'trash', 'files', 'uploads'] as const;

async function actualUsage(owner: ObjectId): Promise<UsageTotals> {
  const [totals, uploads] = await Promise.all([totalsOf(owner), unfinishedLengthOf(owner)]);
  return { ...totals, uploads };
}

const sameCounters = (counted: UsageTotals, actual: UsageTotals): boolean => COUNTERS.every((name) => counted[name] === actual[name]);

/** How long fsck waits before it believes a difference: an upload counts its bytes a moment before its document exists. */
const SETTLE_MS = 1000;

/**
 * fsck: whether `owner`'s counters differ from what their documents and unfinished uploads add up
 * to, seen twice, a moment apart; with `repair`, sets them to that sum, taken under the lock.
 */
export async function checkUsage(owner: ObjectId, repair: boolean): Promise<boolean> {
  const differs = async (): Promise<boolean> => {
    const counted = await findUsage(owner);
    return counted !== null && !sameCounters(counted, await actualUsage(owner));
  };
  if (!(await differs())) return false;
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  if (!(await differs())) return false;
  if (repair) await recountUsage(owner);
  return true;
}

/** Sets `owner`'s counters to what their documents and unfinished uploads add up to. */
export async function recountUsage(owner: ObjectId): Promise<void> {
  await withQuotaLock(owner, async (lock) => {
    await countedUsage(owner);
    const actual = await actualUsage(owner);
    await lock.assertHeld();
    await setTotals(owner, actual);
  });
}
