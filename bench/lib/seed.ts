import { ObjectId } from 'mongodb';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createFolder, deleteFile } from './api';
import type { BenchContext } from './context';
import { dbClient, type FileDoc } from '../../utils/db';
import { nameKeyOf } from '../../utils/files/store';

const BATCH = 1000;

/**
 * A folder of `count` files for the pagination scenario, written straight to MongoDB in the
 * shape uploads store (utils/db.ts FileDoc): 10,000 uploads through the API would take
 * longer than the scenario itself. Every document points at one real small file, whose
 * SHA-256 is the one stored.
 */
export async function seedBigFolder(context: BenchContext, count: number): Promise<{ folderId: string; sampleFileId: string }> {
  const localPath = path.join(context.folderPath, 'seeded-hello');
  writeFileSync(localPath, 'hello');
  const folderId = await createFolder(context.ours.url, context.token, 'big-folder');
  const parentId = new ObjectId(folderId);
  const createdAt = new Date();
  let sample: ObjectId | undefined;
  for (let first = 0; first < count; first += BATCH) {
    const batch: FileDoc[] = [];
    for (let index = first; index < Math.min(first + BATCH, count); index += 1) {
      const name = `file-${String(index).padStart(5, '0')}.txt`;
      batch.push({
        _id: new ObjectId(),
        userId: context.userId,
        name,
        nameKey: nameKeyOf(name),
        type: 'file',
        isPublic: false,
        parentId,
        localPath,
        size: 5,
        sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
        createdAt,
      });
    }
    await dbClient.files.insertMany(batch, { ordered: false });
    sample ??= batch[Math.floor(batch.length / 2)]?._id;
  }
  if (sample === undefined) throw new Error('nothing was seeded');
  return { folderId, sampleFileId: sample.toHexString() };
}

/** Removes the documents directly (one query, not 10,000 blob removals), then the folder. */
export async function removeBigFolder(context: BenchContext, folderId: string): Promise<void> {
  await dbClient.files.deleteMany({ parentId: new ObjectId(folderId) });
  await deleteFile(context.ours.url, context.token, folderId);
}
