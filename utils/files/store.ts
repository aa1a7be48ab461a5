import { MongoServerError, ObjectId, type FindCursor, type Filter } from 'mongodb';
import { dbClient, DUPLICATE_KEY, type BlobLocation, type FileDoc, type StoredParentId } from '../db';

/**
 * The only module that queries the `files` collection.
 *
 * FerretDB on SQLite answers only `_id` equality from an index and scans for anything else,
 * `{_id, userId}` included; so a file is always looked up by `_id` alone and its owner
 * compared here. Same answers as a compound filter, about 12x faster there.
 */

/** The chunk size for `$in` lists and batched deletes, so deep or wide trees never build one huge query. */
export const BATCH = 500;

export function chunks<T>(items: readonly T[], size = BATCH): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

export const ROOT = 0;

/** The projection of a BlobLocation. */
const BLOB_LOCATION = { localPath: 1, storage: 1, objectKey: 1 } as const;

export async function findFile(id: ObjectId): Promise<FileDoc | null> {
  return dbClient.files.findOne({ _id: id });
}

/** The file with this id if `owner` owns it, else null. */
export async function findOwnedFile(owner: ObjectId, id: ObjectId): Promise<FileDoc | null> {
  const file = await findFile(id);
  return file !== null && file.userId.equals(owner) ? file : null;
}

export async function fileExists(id: ObjectId): Promise<boolean> {
  return (await dbClient.files.countDocuments({ _id: id }, { limit: 1 })) > 0;
}

/** Stored parent values that mean "this folder": the root as 0 or "0", a folder as ObjectId or hex. */
export function parentForms(folder: ObjectId | typeof ROOT): StoredParentId[] {
  return folder === ROOT ? [ROOT, '0'] : [folder, folder.toHexString()];
}

/** One page of a folder's children, by `_id`, with an aggregation pipeline as the contract asks. */
export async function listChildren(owner: ObjectId, folder: ObjectId | typeof ROOT, skip: number, limit: number): Promise<FileDoc[]> {
  const match: Filter<FileDoc> = { userId: owner, parentId: { $in: parentForms(folder) } };
  return dbClient.files.aggregate<FileDoc>([{ $match: match }, { $sort: { _id: 1 } }, { $skip: skip }, { $limit: limit }]).toArray();
}

export type TreeEntry = Pick<FileDoc, '_id' | 'type'> & BlobLocation;

/** The children of any of `folders`, in both stored forms of their ids. */
export async function findChildren(owner: ObjectId, folders: readonly ObjectId[]): Promise<TreeEntry[]> {
  return dbClient.files
    .find<TreeEntry>(
      { userId: owner, parentId: { $in: folders.flatMap((id) => parentForms(id)) } },
      { projection: { _id: 1, type: 1, ...BLOB_LOCATION } },
    )
    .toArray();
}

/** With an `_id`, inserting it again (a retry after a crash) is not an error. */
export async function insertFile(file: Omit<FileDoc, '_id'> & { _id?: ObjectId }): Promise<FileDoc> {
  try {
    const { insertedId } = await dbClient.files.insertOne(file as FileDoc);
    return { ...file, _id: insertedId };
  } catch (error) {
    if (file._id === undefined || !(error instanceof MongoServerError) || error.code !== DUPLICATE_KEY) throw error;
    return { ...file, _id: file._id };
  }
}

export type FileUpdate = Partial<Pick<FileDoc, 'name' | 'isPublic' | 'parentId'>>;

/** Applies `changes` by `_id` (owners never change); false when the file is gone. */
export async function updateFile(id: ObjectId, changes: FileUpdate): Promise<boolean> {
  const { matchedCount } = await dbClient.files.updateOne({ _id: id }, { $set: changes });
  return matchedCount > 0;
}

/** Marks folders whose delete has begun, or (`false`) gives them back. */
export async function setDeleting(ids: readonly ObjectId[], deleting: boolean): Promise<void> {
  for (const batch of chunks(ids)) {
    await dbClient.files.updateMany({ _id: { $in: batch } }, deleting ? { $set: { deleting: true } } : { $unset: { deleting: '' } });
  }
}

export async function deleteFiles(owner: ObjectId, ids: readonly ObjectId[]): Promise<void> {
  for (const batch of chunks(ids)) await dbClient.files.deleteMany({ _id: { $in: batch }, userId: owner });
}

export type ImageEntry = Pick<FileDoc, '_id' | 'userId'> & BlobLocation;

/** Every image with its owner and bytes, streamed in batches whatever their number. */
export function findImages(): FindCursor<ImageEntry> {
  return dbClient.files.find<ImageEntry>(
    { type: 'image' },
    { projection: { _id: 1, userId: 1, ...BLOB_LOCATION }, batchSize: BATCH },
  );
}

export async function countFiles(): Promise<number> {
  return dbClient.files.estimatedDocumentCount();
}

export type ScannedFile = Pick<FileDoc, '_id' | 'userId' | 'parentId' | 'type' | 'deleting'> & BlobLocation;

/** Every document (or every one of `owner`'s), BATCH at a time in `_id` order, for the consistency checker. */
export async function* scanFiles(owner?: ObjectId): AsyncGenerator<ScannedFile[]> {
  const cursor = dbClient.files.find<ScannedFile>(
    owner === undefined ? {} : { userId: owner },
    { projection: { _id: 1, userId: 1, parentId: 1, type: 1, deleting: 1, ...BLOB_LOCATION }, sort: { _id: 1 }, batchSize: BATCH },
  );
  let batch: ScannedFile[] = [];
  for await (const doc of cursor) {
    batch.push(doc);
    if (batch.length === BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** The owner's lost+found folder at the root, where the consistency checker puts what it rescues. */
export async function findLostAndFound(owner: ObjectId, name: string): Promise<FileDoc | null> {
  return dbClient.files.findOne({ userId: owner, parentId: { $in: parentForms(ROOT) }, name, type: 'folder' });
}

/** Every document whose bytes are on the local disk, for the move to a bucket. */
export function findOnLocalDisk(): FindCursor<FileDoc> {
  return dbClient.files.find({ localPath: { $exists: true }, storage: { $exists: false } }, { batchSize: BATCH });
}

/** Points a document at its bytes' new place, unless it changed since `localPath` was read; false then. */
export async function switchStorage(id: ObjectId, localPath: string, fields: Partial<FileDoc>): Promise<boolean> {
  const { modifiedCount } = await dbClient.files.updateOne({ _id: id, localPath }, { $set: fields, $unset: { localPath: '' } });
  return modifiedCount > 0;
}
