import type { ObjectId } from 'mongodb';
import { mapLimit } from '../../concurrency';
import type { FileDoc, UsageDoc } from '../../db';
import { blobOf, type Blob } from '../../storage/stores';
import { checkUsage } from '../../users/quota';
import { scanUsage } from '../../users/usageStore';
import { unfinishedLengths } from '../resumable/store';
import {
  findAnyFile,
  findLostAndFound,
  insertFile,
  markTrashed,
  parentObjectId,
  scanFiles,
  setDeleting,
  unmarkTrashed,
  updateFile,
  type ScannedFile,
  type TreeEntry,
} from '../store';
import { walkSubtree } from '../tree';
import { withTreeLock } from '../treeLock';
import { classify, isTrashRoot, VerdictCache } from './classify';
import { finding, note, type Finding } from './findings';
import { referencedKeys, referenceOf, sweepStores, UNREFERENCED_MIN_AGE_MS } from './sweep';

/**
 * `npm run fsck`: reads the whole store and reports what breaks the tree or its bytes, and
 * with `repair` mends what can be mended without deleting anybody's data. It streams: the
 * documents in batches, the stored objects one by one, with a bounded cache of verdicts and
 * a Bloom filter of referenced keys, so its memory stays flat whatever the store's size (but for
 * one small record per user, to check the usage counters).
 * It is safe while the service serves: each repair re-checks under the owner's tree lock.
 */

export const LOST_AND_FOUND = 'lost+found';
const PARALLEL_STATS = 32;

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
  /**
   * Documents whose trash mark is not their folder's: one left out of the trash under a trashed
   * folder (a trash or restore that died midway), or one hidden in a live folder.
   */
  trashMismatches: Finding;
  /** Users whose usage counters are not what their documents and unfinished uploads add up to. */
  usageDrift: Finding;
  repaired: { movedToLostAndFound: number; restoredFolders: number; removedBytes: number; trashMarks: number; usageCounters: number };
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

export function hasDamage(report: FsckReport): boolean {
  const { orphans, cycles, unreachable, missingBytes, unreferencedBytes, trashMismatches, usageDrift } = report;
  return [orphans, cycles, unreachable, missingBytes, unreferencedBytes, trashMismatches, usageDrift].some((found) => found.count > 0);
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
    trashMismatches: finding(),
    usageDrift: finding(),
    repaired: { movedToLostAndFound: 0, restoredFolders: 0, removedBytes: 0, trashMarks: 0, usageCounters: 0 },
  };
  const referenced = await referencedKeys();
  // Bytes of other owners' documents are referenced too, so a scan of one owner cannot judge any.
  const judgeBytes = owner === undefined;
  const cache = new VerdictCache();
  const tally = new UsageTally();

  for await (const batch of scanFiles(owner)) {
    const blobs = batch.map(blobOf);
    const present = await statAll(blobs);
    for (const [index, doc] of batch.entries()) {
      report.documents += 1;
      if (report.documents % progressEvery === 0) onProgress(`${report.documents} documents checked`);
      const blob = blobs[index];
      if (blob !== undefined) referenced.add(referenceOf(blob));
      if (doc.type !== 'folder' && (blob === undefined || present[index] === false)) note(report.missingBytes, doc._id.toHexString());
      if (doc.deleting === true) await findInterruptedDelete(doc, report, repair);

      const verdict = cache.get(doc._id) ?? (await classify(doc, cache, findAnyFile));
      if (doc.type !== 'folder') tally.add(doc, doc.trashedBy !== undefined || (await folderMark(doc, cache)) !== undefined);
      if (verdict === 'reachable') {
        if (await hasTrashMismatch(doc, cache)) {
          note(report.trashMismatches, doc._id.toHexString());
          if (repair && (await alignTrashMark(doc))) report.repaired.trashMarks += 1;
        }
        continue;
      }
      note(verdict === 'orphan' ? report.orphans : verdict === 'cycle' ? report.cycles : report.unreachable, doc._id.toHexString());
      // Mending an orphan, or one member of a cycle, makes everything below it reachable again.
      if (repair && verdict !== 'below-damage' && (await moveToLostAndFound(doc, async () => (await classify(doc, new VerdictCache(), findAnyFile)) === verdict))) {
        report.repaired.movedToLostAndFound += 1;
      }
    }
  }

  // What the scan added up is only a first look (uploads go on meanwhile): a user it finds
  // drifting is counted again, alone, and repaired after the trash marks, which change the sums.
  const uploads = await unfinishedLengths();
  for await (const usage of scanUsage(owner)) {
    const user = usage._id.toHexString();
    if (tally.matches(usage, uploads.get(user) ?? 0)) continue;
    if (await checkUsage(usage._id, repair)) {
      note(report.usageDrift, user);
      if (repair) report.repaired.usageCounters += 1;
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

/** Stats every object at a bounded concurrency; true when it is there, false when not, undefined for none. */
async function statAll(blobs: readonly (Blob | undefined)[]): Promise<(boolean | undefined)[]> {
  return mapLimit(blobs, PARALLEL_STATS, async (blob) => (blob === undefined ? undefined : (await blob.store.stat(blob.key)) !== null));
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
    if ((await findAnyFile(doc._id))?.deleting !== true) return;
    await setDeleting([doc._id], false);
    report.repaired.restoredFolders += 1;
  });
}

/** Each user's files as the scan meets them: one small record per user. */
class UsageTally {
  private readonly users = new Map<string, { stored: number; files: number; trash: number }>();

  add(doc: ScannedFile, inTrash: boolean): void {
    const user = doc.userId.toHexString();
    const totals = this.users.get(user) ?? { stored: 0, files: 0, trash: 0 };
    const size = doc.size ?? 0;
    totals.stored += size;
    totals.files += 1;
    if (inTrash) totals.trash += size;
    this.users.set(user, totals);
  }

  matches(usage: UsageDoc, uploads: number): boolean {
    const totals = this.users.get(usage._id.toHexString()) ?? { stored: 0, files: 0, trash: 0 };
    return usage.stored === totals.stored && usage.files === totals.files && usage.trash === totals.trash && usage.uploads === uploads;
  }
}

/** The trash root a document's folder is marked with; undefined for a live folder or the root. */
async function folderMark(doc: ScannedFile, cache: VerdictCache): Promise<string | undefined> {
  const parentId = parentObjectId(doc.parentId);
  if (parentId === null) return undefined;
  const known = cache.lookup(parentId);
  return known !== undefined ? known.trashedBy : (await findAnyFile(parentId))?.trashedBy?.toHexString();
}

/**
 * An item trashed on its own (a trash root) is marked with itself; a folder under it, with the
 * root, as its folder is; a file never (it is in the trash when its folder is).
 */
async function hasTrashMismatch(doc: ScannedFile, cache: VerdictCache): Promise<boolean> {
  if (isTrashRoot(doc)) return false;
  if (doc.type !== 'folder') return doc.trashedBy !== undefined;
  return doc.trashedBy?.toHexString() !== (await folderMark(doc, cache));
}

/**
 * Gives a mismatched document its folder's state, under the owner's tree lock, with the folders
 * under it that share its mark: a folder a trash that died midway did not reach goes into the
 * trash with its folder (restoring that brings it back); one a restore that died midway left
 * marked comes out of it. The usage check that follows counts the result.
 */
async function alignTrashMark(doc: ScannedFile): Promise<boolean> {
  return withTreeLock(doc.userId, async (lock) => {
    const current = await findAnyFile(doc._id);
    if (current === null || !(await hasTrashMismatch(current, new VerdictCache()))) return false;
    const parentId = parentObjectId(current.parentId);
    const mark = current.type === 'folder' && parentId !== null ? (await findAnyFile(parentId))?.trashedBy : undefined;
    const wrong = current.trashedBy;
    const sameMark = (entry: TreeEntry): boolean => entry.type === 'folder' && (wrong === undefined ? entry.trashedBy === undefined : entry.trashedBy?.equals(wrong) === true);
    const levels = current.type === 'folder' ? await walkSubtree(current.userId, current._id, sameMark) : [];
    const ids = [current._id, ...levels.flat().map((entry) => entry._id)];
    await lock.assertHeld();
    if (mark === undefined) await unmarkTrashed(ids);
    else await markTrashed(ids, mark);
    return true;
  });
}
