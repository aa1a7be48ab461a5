import type { ObjectId } from 'mongodb';
import { mapLimit } from '../concurrency';
import type { BlobLocation, FileDoc } from '../db';
import { badRequest, MESSAGES, notFound } from '../errors';
import { deleteLinksOfFiles } from '../links/store';
import { blobOf, removeBlob } from '../storage/stores';
import type { FileChanges, ParentRef } from './input';
import { renameChanges } from './listing';
import { recordUsage } from '../users/quota';
import { deleteFiles, findOwnedFile, ROOT, updateFile, type FileUpdate, type TreeEntry } from './store';
import { isWithin, markSubtreeForDeletion, resolveParent } from './tree';
import { type TreeLock, withTreeLock } from './treeLock';

/** The caller's own file, or 404 for anyone else's, a missing one or a malformed id alike. */
export async function getOwnedFile(owner: ObjectId, id: ObjectId | null): Promise<FileDoc> {
  const file = id === null ? null : await findOwnedFile(owner, id);
  if (file === null) throw notFound();
  return file;
}

async function applyChanges(file: FileDoc, changes: FileUpdate, lock: TreeLock): Promise<FileDoc> {
  if (Object.keys(changes).length === 0) return file;
  await lock.assertHeld();
  if (!(await updateFile(file._id, changes))) throw notFound();
  return { ...file, ...changes };
}

export async function setPublic(owner: ObjectId, id: ObjectId | null, isPublic: boolean): Promise<FileDoc> {
  return withTreeLock(owner, async (lock) => applyChanges(await getOwnedFile(owner, id), { isPublic }, lock));
}

async function moveTarget(owner: ObjectId, file: FileDoc, parent: ParentRef): Promise<ObjectId | typeof ROOT> {
  const parentId = await resolveParent(owner, parent);
  if (parentId !== ROOT && file.type === 'folder' && (await isWithin(owner, parentId, file._id))) {
    throw badRequest(MESSAGES.folderIntoItself);
  }
  return parentId;
}

function changesOf(file: FileDoc, changes: FileChanges): FileUpdate {
  const update: FileUpdate = changes.name === undefined ? {} : renameChanges(file, changes.name);
  if (changes.isPublic !== undefined) update.isPublic = changes.isPublic;
  return update;
}

/**
 * `PATCH /files/:id`: rename, move and (un)publish, each optional. A move reads the tree (the
 * target, the cycle check) before it writes; every change of a document is made under the
 * owner's tree lock, as trash and restore are: FerretDB loses one of two concurrent updates of
 * a document, even of different fields, so a rename racing a trash could bring a file back.
 */
export async function changeFile(owner: ObjectId, id: ObjectId | null, changes: FileChanges): Promise<FileDoc> {
  const { parent } = changes;
  return withTreeLock(owner, async (lock) => {
    const file = await getOwnedFile(owner, id);
    const update = parent === undefined ? changesOf(file, changes) : { ...changesOf(file, changes), parentId: await moveTarget(owner, file, parent) };
    return applyChanges(file, update, lock);
  });
}

/** Deleting bytes of many files: this many at once keeps the disk or the bucket busy without flooding it. */
const PARALLEL_DELETES = 32;

async function removeBlobsOf(entries: readonly BlobLocation[]): Promise<void> {
  const blobs = entries.map(blobOf).filter((blob) => blob !== undefined);
  await mapLimit(blobs, PARALLEL_DELETES, removeBlob);
}

/** What documents take of their owner's usage: the bytes and the number of their files. */
export function usageOf(entries: readonly TreeEntry[]): { bytes: number; files: number } {
  const files = entries.filter((entry) => entry.type !== 'folder');
  return { bytes: files.reduce((total, entry) => total + (entry.size ?? 0), 0), files: files.length };
}

/**
 * The documents, then what they counted in their owner's usage (the trash's too, when they were
 * in it), then their links (which no longer open once the documents are gone), then the bytes.
 */
export async function deleteEntries(owner: ObjectId, entries: readonly TreeEntry[], inTrash: boolean): Promise<void> {
  const ids = entries.map((entry) => entry._id);
  await deleteFiles(owner, ids);
  const { bytes, files } = usageOf(entries);
  await recordUsage(owner, { stored: -bytes, files: -files, trash: inTrash ? -bytes : 0 });
  await deleteLinksOfFiles(ids);
  await removeBlobsOf(entries);
}

/**
 * Deletes a file, or a folder with everything under it, for good. A folder is marked first, so
 * nothing goes into it any more, and its documents go deepest level first, so a delete cut short
 * by a crash leaves a smaller tree, never a document whose parent is gone. The bytes follow the
 * documents: nothing reachable ever points at missing bytes. Items in the trash on their own
 * stay there (see walkSubtree).
 */
export async function deleteTree(owner: ObjectId, id: ObjectId | null): Promise<void> {
  await withTreeLock(owner, async (lock) => {
    const item = await getOwnedFile(owner, id);
    const levels = item.type === 'folder' ? await markSubtreeForDeletion(owner, item._id) : [];
    for (const level of [...levels].reverse()) {
      await lock.assertHeld();
      await deleteEntries(owner, level, false);
    }
    await lock.assertHeld();
    await deleteEntries(owner, [item], false);
  });
}
