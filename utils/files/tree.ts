import { ObjectId } from 'mongodb';
import type { FileDoc, StoredParentId } from '../db';
import { badRequest } from '../errors';
import { PAGE_SIZE, parseObjectId, type ParentRef } from './input';
import { chunks, findChildren, findOwnedFile, listChildren, ROOT, type TreeEntry } from './store';

/** The folder a stored parentId names, whichever form it was stored in; null for the root. */
export function parentObjectId(parentId: StoredParentId): ObjectId | null {
  return parentId instanceof ObjectId ? parentId : parseObjectId(parentId);
}

/** A folder of `owner`'s that a new or moved file may go into; the root is 0. */
export async function resolveParent(owner: ObjectId, parent: ParentRef): Promise<ObjectId | typeof ROOT> {
  if (parent.kind === 'root') return ROOT;
  const folder = parent.kind === 'folder' ? await findOwnedFile(owner, parent.id) : null;
  if (folder === null) throw badRequest('Parent not found');
  if (folder.type !== 'folder') throw badRequest('Parent is not a folder');
  return folder._id;
}

/** Every document below `folder`, breadth first, level by level. */
export async function findDescendants(owner: ObjectId, folder: ObjectId): Promise<TreeEntry[]> {
  const found: TreeEntry[] = [];
  const seen = new Set<string>([folder.toHexString()]);
  let level: ObjectId[] = [folder];
  while (level.length > 0) {
    const next: ObjectId[] = [];
    for (const batch of chunks(level)) {
      for (const child of await findChildren(owner, batch)) {
        // A corrupt tree with a cycle must not loop forever.
        if (seen.has(child._id.toHexString())) continue;
        seen.add(child._id.toHexString());
        found.push(child);
        if (child.type === 'folder') next.push(child._id);
      }
    }
    level = next;
  }
  return found;
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
