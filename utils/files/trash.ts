import type { ObjectId } from 'mongodb';
import { config } from '../config';
import type { FileDoc, StoredParentId } from '../db';
import { HttpError, notFound } from '../errors';
import { recordUsage } from '../users/quota';
import { PAGE_SIZE } from './input';
import { deleteEntries, deleteTree, getOwnedFile, usageOf } from './manage';
import {
  findAnyFile,
  findOwnedFile,
  findTrashRoots,
  listTrashRoots,
  markTrashed,
  parentObjectId,
  restoreTrashRoot,
  ROOT,
  setTrashRoot,
  type TreeEntry,
  unmarkTrashed,
} from './store';
import { live, walkSubtree } from './tree';
import { type TreeLock, withTreeLock } from './treeLock';

/**
 * The trash. `DELETE /files/:id` marks the item (its trash root) and every folder under it with
 * `trashedBy`; the files in those folders are in the trash with them, unmarked, because FerretDB
 * takes tens of milliseconds per document it updates, and folders are few. From then on every
 * reader finds nothing (utils/files/store.ts `findFile`), and listings pass over it. Restore
 * takes the marks off; a purge (the user's, or the worker's once `purgeAt` is past) deletes as a
 * delete does. Each runs under the owner's tree lock, level by level, counting as it goes, and
 * leaves a state that running it again (or fsck) completes if it dies midway.
 */

const DAY_MS = 86_400_000;

const foldersOf = (level: readonly TreeEntry[]): ObjectId[] => level.filter((entry) => entry.type === 'folder').map((entry) => entry._id);

/** What went to the trash with `root`: marked by it, or left unmarked under it (files; a folder a dead trash had not reached). */
const withRoot =
  (root: ObjectId) =>
  (entry: TreeEntry): boolean =>
    entry.trashedBy === undefined || entry.trashedBy.equals(root);

/** `DELETE /files/:id`: to the trash, or for good when TRASH_RETENTION_DAYS is 0. */
export async function deleteFile(owner: ObjectId, id: ObjectId | null): Promise<void> {
  const retentionDays = config().trashRetentionDays;
  if (retentionDays === 0) return deleteTree(owner, id);
  await withTreeLock(owner, async (lock) => {
    const item = await getOwnedFile(owner, id);
    const at = new Date();
    await lock.assertHeld();
    // First, so the item is gone for everyone at once; what is under it follows, see walkSubtree.
    await setTrashRoot(item._id, { at, purgeAt: new Date(at.getTime() + retentionDays * DAY_MS) });
    await recordUsage(owner, { trash: usageOf([item]).bytes });
    if (item.type !== 'folder') return;
    await walkSubtree(owner, item._id, live, async (level, count) => {
      await lock.assertHeld();
      await markTrashed(foldersOf(level), item._id);
      await count({ trash: usageOf(level).bytes });
    });
  });
}

export type TrashRoot = FileDoc & Required<Pick<FileDoc, 'trash'>>;

const isTrashRoot = (file: FileDoc | null): file is TrashRoot => file?.trash !== undefined;

/** One page of `GET /trash`: the items deleted directly, newest first. */
export async function listTrash(owner: ObjectId, page: number): Promise<TrashRoot[]> {
  return (await listTrashRoots(owner, page * PAGE_SIZE, PAGE_SIZE)).filter(isTrashRoot);
}

async function getTrashRoot(owner: ObjectId, id: ObjectId | null): Promise<TrashRoot> {
  const item = id === null ? null : await findAnyFile(id);
  if (!isTrashRoot(item) || !item.userId.equals(owner)) throw notFound();
  return item;
}

/** Where a restored item goes: where it was, unless that folder is gone, in the trash or being deleted. */
async function restoredParent(owner: ObjectId, parentId: StoredParentId): Promise<StoredParentId> {
  const folderId = parentObjectId(parentId);
  if (folderId === null) return parentId;
  const folder = await findOwnedFile(owner, folderId);
  return folder !== null && folder.type === 'folder' && folder.deleting !== true ? parentId : ROOT;
}

/** `POST /trash/:id/restore`: the item and everything that went with it; the answer says where it is now. */
export async function restoreFromTrash(owner: ObjectId, id: ObjectId | null): Promise<FileDoc> {
  return withTreeLock(owner, async (lock) => {
    const root = await getTrashRoot(owner, id);
    const parentId = await restoredParent(owner, root.parentId);
    const levels = root.type === 'folder' ? await walkSubtree(owner, root._id, withRoot(root._id)) : [];
    // The folders under it first: a restore that dies midway leaves the item in the trash, which a
    // restore (or a purge) run again completes.
    await lock.assertHeld();
    await unmarkTrashed(levels.flatMap(foldersOf));
    await restoreTrashRoot(root._id, parentId);
    await recordUsage(owner, { trash: -usageOf([root, ...levels.flat()]).bytes });
    const restored: FileDoc = { ...root, parentId };
    delete restored.trash;
    delete restored.trashedBy;
    return restored;
  });
}

/** Deletes a trash root and everything that went with it, deepest first. */
async function purge(owner: ObjectId, root: FileDoc, lock: TreeLock): Promise<void> {
  const levels = root.type === 'folder' ? await walkSubtree(owner, root._id, withRoot(root._id)) : [];
  for (const level of levels.reverse()) {
    await lock.assertHeld();
    await deleteEntries(owner, level, true);
  }
  await lock.assertHeld();
  await deleteEntries(owner, [root], true);
}

/** `DELETE /trash/:id`: removes it for good. */
export async function deleteFromTrash(owner: ObjectId, id: ObjectId | null): Promise<void> {
  await withTreeLock(owner, async (lock) => purge(owner, await getTrashRoot(owner, id), lock));
}

/** Trash roots read per query. */
const BATCH = 100;

/** `DELETE /trash`: every item, each under its own hold of the lock so other changes get their turn. */
export async function emptyTrash(owner: ObjectId): Promise<void> {
  for (;;) {
    const roots = await findTrashRoots({ owner }, BATCH);
    for (const { _id: id } of roots) {
      await withTreeLock(owner, async (lock) => {
        const root = await findAnyFile(id);
        if (isTrashRoot(root)) await purge(owner, root, lock);
      });
    }
    if (roots.length < BATCH) return;
  }
}

/**
 * The worker's purge of items past their retention. Each is read again under its owner's lock,
 * so several workers at once purge it once; one whose owner's tree is busy waits for the next
 * run, as does whatever a worker that died left: its root is still there, and due. Returns how
 * many items went.
 */
export async function purgeDueTrash(now = new Date()): Promise<number> {
  let purged = 0;
  for (;;) {
    const due = await findTrashRoots({ dueBy: now }, BATCH);
    let skipped = 0;
    for (const { _id: id, userId: owner } of due) {
      const gone = await withTreeLock(owner, async (lock) => {
        const root = await findAnyFile(id);
        if (!isTrashRoot(root) || root.trash.purgeAt > now) return false;
        await purge(owner, root, lock);
        return true;
      }).catch((error: unknown) => {
        if (error instanceof HttpError && error.status === 409) return false;
        throw error;
      });
      if (gone) purged += 1;
      else skipped += 1;
    }
    if (due.length < BATCH || skipped > 0) return purged;
  }
}
