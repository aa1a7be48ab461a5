import { ObjectId } from 'mongodb';
import { badRequest, type HttpError, MESSAGES } from '../errors';
import type { ParentRef } from './input';
import { type Count, withUsageLock } from '../users/quota';
import { chunks, findChildren, findOwnedFile, parentObjectId, ROOT, setDeleting, type TreeEntry } from './store';

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
 * Everything below `folder`, level by level, outermost first, each level marked (`mark`) before
 * the children of its folders are read: how a delete or a trash keeps up with uploads. An upload
 * that checked a folder before its mark has inserted its document before it checks again, so the
 * read after the mark finds it; one that checks after the mark undoes itself. Each level is read
 * and marked under the owner's quota lock, which an upload holds from its insert to its check, so
 * the upload's document is counted once: by the upload, or by the walk's caller. Children that
 * `within` refuses (items in the trash on their own) are left out, with everything under them.
 */
export async function walkSubtree(
  owner: ObjectId,
  folder: ObjectId,
  within: (entry: TreeEntry) => boolean,
  mark: (level: TreeEntry[], count: Count) => Promise<void> = () => Promise.resolve(),
): Promise<TreeEntry[][]> {
  const levels: TreeEntry[][] = [];
  const seen = new Set<string>([folder.toHexString()]);
  let level: ObjectId[] = [folder];
  while (level.length > 0) {
    const parents = level;
    const found = await withUsageLock(owner, async (count) => {
      const children: TreeEntry[] = [];
      for (const batch of chunks(parents)) {
        for (const child of await findChildren(owner, batch)) {
          // A corrupt tree with a cycle must not loop forever.
          if (seen.has(child._id.toHexString()) || !within(child)) continue;
          seen.add(child._id.toHexString());
          children.push(child);
        }
      }
      if (children.length > 0) await mark(children, count);
      return children;
    });
    if (found.length === 0) break;
    levels.push(found);
    level = found.filter((entry) => entry.type === 'folder').map((entry) => entry._id);
  }
  return levels;
}

/** Not in the trash: what a delete or a trash of a live folder takes with it. */
export const live = (entry: TreeEntry): boolean => entry.trashedBy === undefined;

/** Everything below `folder`, its folders (and it) marked as being deleted: see walkSubtree. */
export async function markSubtreeForDeletion(owner: ObjectId, folder: ObjectId): Promise<TreeEntry[][]> {
  await setDeleting([folder], true);
  return walkSubtree(owner, folder, live, (level) =>
    setDeleting(
      level.filter((entry) => entry.type === 'folder').map((entry) => entry._id),
      true,
    ),
  );
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
