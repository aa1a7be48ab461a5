import { createHash } from 'node:crypto';
import type { ObjectId } from 'mongodb';
import type { FileDoc } from '../db';
import { THUMBNAIL_WIDTHS } from './byteStore';
import { blobOf, storesInUse, type Blob } from './storage';
import { assertStoreIsOurs } from './ownership';
import { chunks, countFiles, findFile, findLostAndFound, insertFile, scanFiles, setDeleting, updateFile, type ScannedFile } from './store';
import { parentObjectId } from './tree';
import { withTreeLock } from './treeLock';

/**
 * `npm run fsck`: reads the whole store and reports what breaks the tree or its bytes, and
 * with `repair` mends what can be mended without deleting anybody's data. It streams: the
 * documents in batches, the stored objects one by one, with a bounded cache of verdicts and
 * a Bloom filter of referenced keys, so its memory stays flat whatever the store's size.
 * It is safe while the service serves: each repair re-checks under the owner's tree lock.
 */

export const LOST_AND_FOUND = 'lost+found';
/** Bytes no document references are only garbage once no upload can still be about to claim them. */
export const UNREFERENCED_MIN_AGE_MS = 60 * 60 * 1000;
/** Examples kept per kind of damage; the counts are exact. */
const EXAMPLES = 20;
const VERDICT_CACHE = 100_000;
const PARALLEL_STATS = 32;

export type Verdict = 'reachable' | 'orphan' | 'cycle' | 'below-damage';

interface Finding {
  count: number;
  examples: string[];
}

export interface FsckReport {
  documents: number;
  objects: number;
  /** Documents whose parent is missing, is not a folder, or belongs to someone else. */
  orphans: Finding;
  /** Folders that are, through their parents, their own ancestor. */
  cycles: Finding;
  /** Documents below an orphan or a cycle: unreachable until those are mended. */
  unreachable: Finding;
  missingBytes: Finding;
  /** Older than UNREFERENCED_MIN_AGE_MS; younger ones are left alone and only counted. */
  unreferencedBytes: Finding;
  youngUnreferencedBytes: number;
  /** Folders a delete marked and never finished (a crash mid-delete); not damage: the tree is whole. */
  interruptedDeletes: Finding;
  repaired: { movedToLostAndFound: number; restoredFolders: number; removedBytes: number };
}

export interface FsckOptions {
  repair?: boolean;
  /** Called every `progressEvery` documents and objects. */
  onProgress?: (message: string) => void;
  progressEvery?: number;
  /** Objects younger than this are not garbage yet; tests shorten it. */
  unreferencedMinAgeMs?: number;
  /** Only this user's documents; then no stored object is judged unreferenced. */
  owner?: ObjectId;
}

const finding = (): Finding => ({ count: 0, examples: [] });

function note(target: Finding, example: string): void {
  target.count += 1;
  if (target.examples.length < EXAMPLES) target.examples.push(example);
}

export function hasDamage(report: FsckReport): boolean {
  return report.orphans.count + report.cycles.count + report.unreachable.count + report.missingBytes.count + report.unreferencedBytes.count > 0;
}

/** A Bloom filter: "no" is certain, "maybe" is wrong about 0.1% of the time, in 1.8 bytes per key. */
class KeyFilter {
  private readonly bits: Uint8Array;
  private readonly size: number;
  private static readonly HASHES = 10;

  constructor(expectedKeys: number) {
    this.size = Math.max(1024, Math.ceil(expectedKeys * 14.4));
    this.bits = new Uint8Array(Math.ceil(this.size / 8));
  }

  private positions(key: string): number[] {
    const digest = createHash('sha256').update(key).digest();
    const [a, b] = [digest.readUInt32BE(0), digest.readUInt32BE(4)];
    return Array.from({ length: KeyFilter.HASHES }, (_, i) => (a + i * b) % this.size);
  }

  add(key: string): void {
    for (const bit of this.positions(key)) this.bits[bit >> 3] = (this.bits[bit >> 3] ?? 0) | (1 << (bit & 7));
  }

  mightContain(key: string): boolean {
    return this.positions(key).every((bit) => ((this.bits[bit >> 3] ?? 0) & (1 << (bit & 7))) !== 0);
  }
}

/** The original a stored key belongs to: itself, or the original of a thumbnail. */
function originalKey(key: string): string {
  const suffix = THUMBNAIL_WIDTHS.map((width) => `_${width}`).find((candidate) => key.endsWith(candidate));
  return suffix === undefined ? key : key.slice(0, -suffix.length);
}

/** What is known of each document the walk has met, bounded: the oldest verdicts go first. */
class VerdictCache {
  private readonly verdicts = new Map<string, Verdict>();

  get(id: ObjectId): Verdict | undefined {
    return this.verdicts.get(id.toHexString());
  }

  set(id: ObjectId, verdict: Verdict): void {
    if (this.verdicts.size >= VERDICT_CACHE) this.verdicts.delete(this.verdicts.keys().next().value as string);
    this.verdicts.set(id.toHexString(), verdict);
  }
}

/**
 * Walks up from `doc` towards the root and says what `doc` is: reachable; an orphan (its
 * parent is missing, no folder, or someone else's); a member of a cycle (a walk that comes
 * back to itself); or below such damage. What the walk learns of the documents on its way
 * goes into the cache, so most walks stop after one step.
 */
async function classify(doc: ScannedFile, cache: VerdictCache): Promise<Verdict> {
  const path: ScannedFile[] = [];
  const onPath = new Set<string>();
  let current: ScannedFile = doc;
  let ending: { above: Verdict } | { orphan: ObjectId } | { cycleFrom: number } = { above: 'reachable' };
  for (;;) {
    path.push(current);
    onPath.add(current._id.toHexString());
    const parentId = parentObjectId(current.parentId);
    if (parentId === null) break;
    const known = cache.get(parentId);
    if (known !== undefined) {
      ending = { above: known === 'reachable' ? 'reachable' : 'below-damage' };
      break;
    }
    if (onPath.has(parentId.toHexString())) {
      ending = { cycleFrom: path.findIndex((entry) => entry._id.equals(parentId)) };
      break;
    }
    const parent = await findFile(parentId);
    if (parent === null || parent.type !== 'folder' || !parent.userId.equals(doc.userId)) {
      ending = { orphan: current._id };
      break;
    }
    current = parent;
  }
  const verdictAt = (index: number): Verdict => {
    if ('above' in ending) return ending.above;
    if ('cycleFrom' in ending) return index >= ending.cycleFrom ? 'cycle' : 'below-damage';
    return index === path.length - 1 ? 'orphan' : 'below-damage';
  };
  path.forEach((entry, index) => cache.set(entry._id, verdictAt(index)));
  return verdictAt(0);
}

async function lostAndFound(owner: ObjectId): Promise<ObjectId> {
  const existing = await findLostAndFound(owner, LOST_AND_FOUND);
  if (existing !== null) return existing._id;
  return (await insertFile({ userId: owner, name: LOST_AND_FOUND, type: 'folder', isPublic: false, parentId: 0, createdAt: new Date() }))._id;
}

/** Moves a document that is still broken, under its owner's tree lock, into lost+found. */
async function moveToLostAndFound(doc: ScannedFile, stillBroken: () => Promise<boolean>): Promise<boolean> {
  return withTreeLock(doc.userId, async (lock) => {
    if (!(await stillBroken())) return false;
    const target = await lostAndFound(doc.userId);
    await lock.assertHeld();
    return updateFile(doc._id, { parentId: target });
  });
}

export async function checkStore(options: FsckOptions = {}): Promise<FsckReport> {
  const { repair = false, onProgress = () => undefined, progressEvery = 10_000, unreferencedMinAgeMs = UNREFERENCED_MIN_AGE_MS, owner } = options;
  const report: FsckReport = {
    documents: 0,
    objects: 0,
    orphans: finding(),
    cycles: finding(),
    unreachable: finding(),
    missingBytes: finding(),
    unreferencedBytes: finding(),
    youngUnreferencedBytes: 0,
    interruptedDeletes: finding(),
    repaired: { movedToLostAndFound: 0, restoredFolders: 0, removedBytes: 0 },
  };
  const referenced = new KeyFilter(await countFiles());
  // Bytes of other owners' documents are referenced too, so a scan of one owner cannot judge any.
  const judgeBytes = owner === undefined;
  const cache = new VerdictCache();

  for await (const batch of scanFiles(owner)) {
    const blobs = batch.map(blobOf);
    const present = await statAll(blobs);
    for (const [index, doc] of batch.entries()) {
      report.documents += 1;
      if (report.documents % progressEvery === 0) onProgress(`${report.documents} documents checked`);
      const blob = blobs[index];
      if (blob !== undefined) referenced.add(referenceOf(blob.store.driver, blob.key));
      if (doc.type !== 'folder' && (blob === undefined || present[index] === false)) note(report.missingBytes, doc._id.toHexString());
      if (doc.deleting === true) await findInterruptedDelete(doc, report, repair);

      const verdict = cache.get(doc._id) ?? (await classify(doc, cache));
      if (verdict === 'reachable') continue;
      note(verdict === 'orphan' ? report.orphans : verdict === 'cycle' ? report.cycles : report.unreachable, doc._id.toHexString());
      // Mending an orphan, or one member of a cycle, makes everything below it reachable again.
      if (repair && verdict !== 'below-damage' && (await moveToLostAndFound(doc, async () => (await classify(doc, new VerdictCache())) === verdict))) {
        report.repaired.movedToLostAndFound += 1;
      }
    }
  }

  if (!judgeBytes) return report;
  const swept = await sweepStores(referenced, { remove: repair, unreferencedMinAgeMs, onProgress, progressEvery });
  report.objects = swept.objects;
  report.unreferencedBytes = swept.unreferenced;
  report.youngUnreferencedBytes = swept.young;
  report.repaired.removedBytes = swept.removed;
  return report;
}

export interface SweepReport {
  objects: number;
  /** Older than the minimum age: garbage. */
  unreferenced: Finding;
  young: number;
  removed: number;
}

interface SweepOptions {
  remove: boolean;
  unreferencedMinAgeMs: number;
  onProgress: (message: string) => void;
  progressEvery: number;
}

/** Lists every store in use and finds (and with `remove`, deletes) what no document references. */
async function sweepStores(referenced: KeyFilter, options: SweepOptions): Promise<SweepReport> {
  const report: SweepReport = { objects: 0, unreferenced: finding(), young: 0, removed: 0 };
  const now = Date.now();
  for (const store of storesInUse()) {
    // Checked again now, not only at start-up: another deployment may have claimed the store since.
    if (options.remove) await assertStoreIsOurs(store);
    for await (const object of store.list()) {
      report.objects += 1;
      if (report.objects % options.progressEvery === 0) options.onProgress(`${report.objects} stored objects checked`);
      if (referenced.mightContain(referenceOf(store.driver, originalKey(object.key)))) continue;
      if (now - object.modified.getTime() < options.unreferencedMinAgeMs) {
        report.young += 1;
        continue;
      }
      note(report.unreferenced, `${store.driver}:${object.key}`);
      if (options.remove) {
        await store.delete([object.key]);
        report.removed += 1;
      }
    }
  }
  return report;
}

/**
 * `npm run storage:sweep`: the objects (or files) no document references and older than an
 * hour, across every store in use; deleted with `remove`. What a migration to S3 leaves on the
 * disk ends here.
 */
export async function sweepUnreferencedBytes(options: Partial<SweepOptions> = {}): Promise<SweepReport> {
  const referenced = new KeyFilter(await countFiles());
  for await (const batch of scanFiles()) {
    for (const blob of batch.map(blobOf)) if (blob !== undefined) referenced.add(referenceOf(blob.store.driver, blob.key));
  }
  return sweepStores(referenced, {
    remove: options.remove ?? false,
    unreferencedMinAgeMs: options.unreferencedMinAgeMs ?? UNREFERENCED_MIN_AGE_MS,
    onProgress: options.onProgress ?? (() => undefined),
    progressEvery: options.progressEvery ?? 10_000,
  });
}

/** One object in one store, as the filter of referenced objects knows it. */
function referenceOf(driver: string, key: string): string {
  return `${driver}:${key}`;
}

/** Stats every object at a bounded concurrency; true when it is there, false when not, undefined for none. */
async function statAll(blobs: readonly (Blob | undefined)[]): Promise<(boolean | undefined)[]> {
  const results: (boolean | undefined)[] = [];
  for (const batch of chunks(blobs, PARALLEL_STATS)) {
    results.push(...(await Promise.all(batch.map(async (blob) => (blob === undefined ? undefined : (await blob.store.stat(blob.key)) !== null)))));
  }
  return results;
}

/**
 * A live delete holds its owner's tree lock until it is done, so a mark seen under the lock
 * was left by a delete that died. Repair gives the folder back rather than finishing the
 * delete: nothing of the user's is removed without the user asking again.
 */
async function findInterruptedDelete(doc: Pick<FileDoc, '_id' | 'userId'>, report: FsckReport, repair: boolean): Promise<void> {
  note(report.interruptedDeletes, doc._id.toHexString());
  if (!repair) return;
  await withTreeLock(doc.userId, async () => {
    if ((await findFile(doc._id))?.deleting !== true) return;
    await setDeleting([doc._id], false);
    report.repaired.restoredFolders += 1;
  });
}
