import type { ObjectId } from 'mongodb';
import { mapLimit } from '../concurrency';
import type { BlobLocation, FileDoc } from '../db';
import { badRequest, MESSAGES, notFound } from '../errors';
import { deleteLinksOfFiles } from '../links/store';
import { blobOf, removeBlob } from '../storage/stores';
import type { FileChanges, ParentRef } from './input';
import { deleteFiles, findOwnedFile, ROOT, updateFile, type FileUpdate } from './store';
import { isWithin, markSubtreeForDeletion, resolveParent } from './tree';
import { withTreeLock } from './treeLock';

/** The caller's own file, or 404 for anyone else's, a missing one or a malformed id alike. */
export async function getOwnedFile(owner: ObjectId, id: ObjectId | null): Promise<FileDoc> {
  const file = id === null ? null : await findOwnedFile(owner, id);
  if (file === null) throw notFound();
  return file;
}

async function applyChanges(file: FileDoc, changes: FileUpdate): Promise<FileDoc> {
  if (Object.keys(changes).length === 0) return file;
  // Deleted between the lookup and the update.
  if (!(await updateFile(file._id, changes))) throw notFound();
  return { ...file, ...changes };
}

export async function setPublic(owner: ObjectId, id: ObjectId | null, isPublic: boolean): Promise<FileDoc> {
  return applyChanges(await getOwnedFile(owner, id), { isPublic });
}

async function moveTarget(owner: ObjectId, file: FileDoc, parent: ParentRef): Promise<ObjectId | typeof ROOT> {
  const parentId = await resolveParent(owner, parent);
  if (parentId !== ROOT && file.type === 'folder' && (await isWithin(owner, parentId, file._id))) {
    throw badRequest(MESSAGES.folderIntoItself);
  }
  return parentId;
}

function changesOf(changes: FileChanges): FileUpdate {
  const update: FileUpdate = {};
  if (changes.name !== undefined) update.name = changes.name;
  if (changes.isPublic !== undefined) update.isPublic = changes.isPublic;
  return update;
}

/**
 * `PATCH /files/:id`: rename, move and (un)publish, each optional. A move reads the tree
 * (the target, the cycle check) and writes it under the owner's tree lock.
 */
export async function changeFile(owner: ObjectId, id: ObjectId | null, changes: FileChanges): Promise<FileDoc> {
  const { parent } = changes;
  if (parent === undefined) return applyChanges(await getOwnedFile(owner, id), changesOf(changes));
  return withTreeLock(owner, async (lock) => {
    const file = await getOwnedFile(owner, id);
    const parentId = await moveTarget(owner, file, parent);
    await lock.assertHeld();
    return applyChanges(file, { ...changesOf(changes), parentId });
  });
}

/** Deleting bytes of many files: this many at once keeps the disk or the bucket busy without flooding it. */
const PARALLEL_DELETES = 32;

async function removeBlobsOf(entries: readonly BlobLocation[]): Promise<void> {
  const blobs = entries.map(blobOf).filter((blob) => blob !== undefined);
  await mapLimit(blobs, PARALLEL_DELETES, removeBlob);
}

/** The documents, then their links (which no longer open once the documents are gone), then the bytes. */
async function deleteEntries(owner: ObjectId, entries: readonly (BlobLocation & { _id: ObjectId })[]): Promise<void> {
  const ids = entries.map((entry) => entry._id);
  await deleteFiles(owner, ids);
  await deleteLinksOfFiles(ids);
  await removeBlobsOf(entries);
}

/**
 * Deletes a file, or a folder with everything under it. A folder is marked first, so nothing
 * goes into it any more, and its documents go deepest level first, so a delete cut short by a
 * crash leaves a smaller tree, never a document whose parent is gone. The bytes follow the
 * documents: nothing reachable ever points at missing bytes.
 */
export async function deleteTree(owner: ObjectId, id: ObjectId | null): Promise<void> {
  const file = await getOwnedFile(owner, id);
  if (file.type !== 'folder') {
    await deleteEntries(owner, [file]);
    return;
  }
  await withTreeLock(owner, async (lock) => {
    const folder = await getOwnedFile(owner, id);
    const levels = await markSubtreeForDeletion(owner, folder._id);
    for (const level of [...levels].reverse()) {
      await lock.assertHeld();
      await deleteEntries(owner, level);
    }
    await deleteEntries(owner, [folder]);
  });
}
