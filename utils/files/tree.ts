import { ObjectId } from 'mongodb';
import type { FileDoc, StoredParentId } from '../db';
import { badRequest, type HttpError, MESSAGES } from '../errors';
import { PAGE_SIZE, parseObjectId, type ParentRef } from './input';
import { chunks, findChildren, findOwnedFile, listChildren, ROOT, setDeleting, type TreeEntry } from './store';

/** The folder a stored parentId names, whichever form it was stored in; null for the root. */
export function parentObjectId(parentId: StoredParentId): ObjectId | null {
  return parentId instanceof ObjectId ? parentId : parseObjectId(parentId);
}

export const parentNotFound = (): HttpError => badRequest(MESSAGES.parentNotFound);

/** A folder of `owner`'s that a new or moved file may go into; the root is 0. A folder being deleted takes nothing more. */
export async function resolveParent(owner: ObjectId, parent: ParentRef): Promise<ObjectId | typeof ROOT> {
  if (parent.kind === 'root') return ROOT;
  const folder = parent.kind === 'folder' ? await findOwnedFile(owner, parent.id) : null;
  if (folder === null || folder.deleting === true) throw parentNotFound();
  if (folder.type !== 'folder') throw badRequest(MESSAGES.parentNotFolder);
  return folder._id;
}

/** Whether `folder` still takes new children: a check repeated after an insert that raced a delete. */
export async function stillAcceptsChildren(owner: ObjectId, folder: ObjectId | typeof ROOT): Promise<boolean> {
  if (folder === ROOT) return true;
  const doc = await findOwnedFile(owner, folder);
  return doc !== null && doc.type === 'folder' && doc.deleting !== true;
}

/**
 * Everything below `folder`, level by level, each folder marked as being deleted before its
 * children are read. An upload that checked a folder before its mark has inserted its
 * document before it checks again, so the read after the mark finds it; one that checks
 * after the mark undoes itself. Levels come back outermost first.
 */
export async function markSubtreeForDeletion(owner: ObjectId, folder: ObjectId): Promise<TreeEntry[][]> {
  const levels: TreeEntry[][] = [];
  const seen = new Set<string>([folder.toHexString()]);
  await setDeleting([folder], true);
  let level: ObjectId[] = [folder];
  while (level.length > 0) {
    const found: TreeEntry[] = [];
    for (const batch of chunks(level)) {
      for (const child of await findChildren(owner, batch)) {
        // A corrupt tree with a cycle must not loop forever.
        if (seen.has(child._id.toHexString())) continue;
        seen.add(child._id.toHexString());
        found.push(child);
      }
    }
    const folders = found.filter((entry) => entry.type === 'folder').map((entry) => entry._id);
    await setDeleting(folders, true);
    if (found.length > 0) levels.push(found);
    level = folders;
  }
  return levels;
}

/** True when `candidate` is `folder` itself or lies anywhere below it. */
export async function isWithin(owner: ObjectId, candidate: ObjectId, folder: ObjectId): Promise<boolean> {
  const visited = new Set<string>();
  let current: ObjectId | null = candidate;
  while (current !== null && !visited.has(current.toHexString())) {
    if (current.equals(folder)) return true;
    visited.add(current.toHexString());
    const doc = await findOwnedFile(owner, current);
    current = doc === null ? null : parentObjectId(doc.parentId);
  }
  return false;
}

/** One page of a folder's children; a parent that names no folder of `owner`'s has none. */
export async function listFolder(owner: ObjectId, parent: ParentRef, page: number): Promise<FileDoc[]> {
  if (parent.kind === 'none') return [];
  return listChildren(owner, parent.kind === 'root' ? ROOT : parent.id, page * PAGE_SIZE, PAGE_SIZE);
}
