import type { ObjectId } from 'mongodb';
import type { FileDoc } from '../db';
import { badRequest, notFound } from '../errors';
import { blobKey, removeBlob } from './storage';
import type { FileChanges, ParentRef } from './input';
import { chunks, deleteFiles, findOwnedFile, ROOT, updateFile, type FileUpdate } from './store';
import { findDescendants, isWithin, resolveParent } from './tree';

/** Deleting bytes of many files: this many at once keeps the disk or the bucket busy without flooding it. */
const PARALLEL_DELETES = 32;

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
    throw badRequest('Cannot move a folder into itself');
  }
  return parentId;
}

/** `PATCH /files/:id`: rename, move and (un)publish, each optional. */
export async function changeFile(owner: ObjectId, id: ObjectId | null, changes: FileChanges): Promise<FileDoc> {
  const file = await getOwnedFile(owner, id);
  const update: FileUpdate = {};
  if (changes.name !== undefined) update.name = changes.name;
  if (changes.isPublic !== undefined) update.isPublic = changes.isPublic;
  if (changes.parent !== undefined) update.parentId = await moveTarget(owner, file, changes.parent);
  return applyChanges(file, update);
}

/**
 * Deletes a file, or a folder with everything under it. Documents go first, so nothing
 * reachable ever points at missing bytes; the bytes and thumbnails follow.
 */
export async function deleteTree(owner: ObjectId, id: ObjectId | null): Promise<void> {
  const file = await getOwnedFile(owner, id);
  const doomed = [file, ...(file.type === 'folder' ? await findDescendants(owner, file._id) : [])];
  await deleteFiles(owner, doomed.map((entry) => entry._id));
  const keys = doomed.map(blobKey).filter((key) => key !== undefined);
  for (const batch of chunks(keys, PARALLEL_DELETES)) await Promise.all(batch.map(removeBlob));
}
