import type { ObjectId } from 'mongodb';
import { dbClient, findFileOf, parentObjectId, type FileDoc } from './db';

/** Bounds each `$in` list so deep or wide trees never build one huge query. */
const BATCH = 500;

export function chunks<T>(items: readonly T[], size = BATCH): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

export type TreeEntry = Pick<FileDoc, '_id' | 'type' | 'localPath'>;

/**
 * Every document below `folder`, breadth first, level by level. Children are matched by both
 * stored forms of a parent id (ObjectId and hex string), as listing does.
 */
export async function findDescendants(owner: ObjectId, folder: ObjectId): Promise<TreeEntry[]> {
  const found: TreeEntry[] = [];
  const seen = new Set<string>([folder.toHexString()]);
  let level: ObjectId[] = [folder];
  while (level.length > 0) {
    const next: ObjectId[] = [];
    for (const batch of chunks(level)) {
      const children = await dbClient.files
        .find(
          { userId: owner, parentId: { $in: [...batch, ...batch.map((id) => id.toHexString())] } },
          { projection: { _id: 1, type: 1, localPath: 1 } },
        )
        .toArray();
      for (const child of children) {
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
    const doc = await findFileOf(owner, current.toHexString());
    current = doc === null ? null : parentObjectId(doc.parentId);
  }
  return false;
}
