import { MongoBulkWriteError, ObjectId, type WriteError, type FindCursor, type Filter, type Sort } from 'mongodb';
import { parseObjectId } from './input';
import { dbClient, DUPLICATE_KEY, type BlobLocation, type FileDoc, type StoredParentId, type TrashInfo } from '../db';

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

/** The document, in the trash or not: for the trash itself and the consistency checker. */
export async function findAnyFile(id: ObjectId): Promise<FileDoc | null> {
  return dbClient.files.findOne({ _id: id });
}

/** The folder a stored parentId names, whichever form it was stored in; null for the root. */
export function parentObjectId(parentId: StoredParentId): ObjectId | null {
  return parentId instanceof ObjectId ? parentId : parseObjectId(parentId);
}

/**
 * The file, unless it is in the trash: to every other reader, that is as if it were gone. A
 * folder in the trash is marked; a file is when it was deleted itself, or its folder is marked.
 */
export async function findFile(id: ObjectId): Promise<FileDoc | null> {
  const file = await findAnyFile(id);
  if (file === null || file.trashedBy !== undefined) return null;
  const folder = file.type === 'folder' ? null : parentObjectId(file.parentId);
  if (folder === null) return file;
  return (await findAnyFile(folder))?.trashedBy === undefined ? file : null;
}

/** The file with this id if `owner` owns it and it is not in the trash, else null. */
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

/**
 * One page of a live folder's children, by `_id`, with an aggregation pipeline as the contract
 * asks. Its children in the trash are the items deleted from it directly: the index on
 * (userId, parentId, _id) passes over those alone.
 */
export async function listChildren(owner: ObjectId, folder: ObjectId | typeof ROOT, skip: number, limit: number): Promise<FileDoc[]> {
  const match: Filter<FileDoc> = { userId: owner, parentId: { $in: parentForms(folder) }, trashedBy: { $exists: false } };
  return dbClient.files.aggregate<FileDoc>([{ $match: match }, { $sort: { _id: 1 } }, { $skip: skip }, { $limit: limit }]).toArray();
}

export type TreeEntry = Pick<FileDoc, '_id' | 'type' | 'size' | 'trashedBy'> & BlobLocation;

const TREE_ENTRY = { _id: 1, type: 1, size: 1, trashedBy: 1, ...BLOB_LOCATION } as const;

/** The children of any of `folders`, in both stored forms of their ids, in the trash or not. */
export async function findChildren(owner: ObjectId, folders: readonly ObjectId[]): Promise<TreeEntry[]> {
  return dbClient.files
    .find<TreeEntry>({ userId: owner, parentId: { $in: folders.flatMap((id) => parentForms(id)) } }, { projection: TREE_ENTRY })
    .toArray();
}

/** What listings sort and search a name by (see FileDoc.nameKey). */
export function nameKeyOf(name: string): string {
  return name.toLowerCase();
}

export type NewFile = Omit<FileDoc, '_id'> & { _id?: ObjectId };

/** What became of a document of insertFiles: inserted now, there already (its `_id` was given), or refused. */
export type Inserted = { file: FileDoc; existed: boolean } | { error: Error };

/**
 * Inserts every item's document in one request, each on its own: one refused does not stop the
 * others. With an `_id`, inserting it again (a retry after a crash) is not an error.
 */
export async function insertFiles<T extends { document: NewFile }>(items: readonly T[]): Promise<(T & { inserted: Inserted })[]> {
  const prepared = items.map((item) => ({ item, file: stored(item.document) }));
  const refused = new Map<number, WriteError>();
  try {
    await dbClient.files.insertMany(
      prepared.map(({ file }) => file),
      { ordered: false },
    );
  } catch (error) {
    if (!(error instanceof MongoBulkWriteError)) throw error;
    for (const writeError of [error.writeErrors].flat()) refused.set(writeError.index, writeError);
  }
  return prepared.map(({ item, file }, index) => ({ ...item, inserted: outcomeOf(item.document, file, refused.get(index)) }));
}

function outcomeOf(document: NewFile, file: FileDoc, refusal: WriteError | undefined): Inserted {
  if (refusal === undefined) return { file, existed: false };
  if (document._id !== undefined && refusal.code === DUPLICATE_KEY) return { file, existed: true };
  return { error: new Error(`the insert of a file was refused (code ${refusal.code}): ${refusal.errmsg ?? ''}`) };
}

export async function insertFile(document: NewFile): Promise<FileDoc> {
  const file = stored(document);
  await dbClient.files.insertOne(file);
  return file;
}

const stored = (document: NewFile): FileDoc => ({ ...document, _id: document._id ?? new ObjectId(), nameKey: nameKeyOf(document.name) });

export type FileUpdate = Partial<Pick<FileDoc, 'name' | 'isPublic' | 'parentId' | 'renamedAt' | 'renames'>>;

/** Applies `changes` by `_id` (owners never change), a name with its key; false when the file is gone. */
export async function updateFile(id: ObjectId, changes: FileUpdate): Promise<boolean> {
  const update = changes.name === undefined ? changes : { ...changes, nameKey: nameKeyOf(changes.name) };
  const { matchedCount } = await dbClient.files.updateOne({ _id: id }, { $set: update });
  return matchedCount > 0;
}

/** One page of what `filter` matches, in `sort` order (utils/files/listQuery.ts makes both). */
export async function findListed(filter: Filter<FileDoc>, sort: Sort, skip: number, limit: number): Promise<FileDoc[]> {
  return dbClient.files.find(filter).sort(sort).skip(skip).limit(limit).toArray();
}

export type FolderEntry = Pick<FileDoc, '_id' | 'parentId' | 'trashedBy'>;

/** Every folder of `owner`'s, in the trash or not: the tree a recursive listing searches. */
export async function findFolders(owner: ObjectId): Promise<FolderEntry[]> {
  return dbClient.files
    .find<FolderEntry>({ userId: owner, type: 'folder' }, { projection: { _id: 1, parentId: 1, trashedBy: 1 }, batchSize: BATCH })
    .toArray();
}

/** Documents written before names had keys (FileDoc.nameKey), `limit` at a time. */
export async function findWithoutNameKey(limit: number): Promise<Pick<FileDoc, '_id' | 'name'>[]> {
  return dbClient.files
    .find<Pick<FileDoc, '_id' | 'name'>>({ nameKey: { $exists: false }, name: { $type: 'string' } }, { projection: { _id: 1, name: 1 } })
    .limit(limit)
    .toArray();
}

/** Gives a document its name's key, unless it was renamed meanwhile (the rename wrote the key). */
export async function setNameKey(id: ObjectId, name: string): Promise<void> {
  await dbClient.files.updateOne({ _id: id, name, nameKey: { $exists: false } }, { $set: { nameKey: nameKeyOf(name) } });
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

/** Puts folders in the trash of `root` (the item deleted directly); the files in them are in it with them. */
export async function markTrashed(ids: readonly ObjectId[], root: ObjectId): Promise<void> {
  for (const batch of chunks(ids)) await dbClient.files.updateMany({ _id: { $in: batch } }, { $set: { trashedBy: root } });
}

/** Takes folders out of the trash (a restore, or fsck's repair of what a dead one left). */
export async function unmarkTrashed(ids: readonly ObjectId[]): Promise<void> {
  for (const batch of chunks(ids)) await dbClient.files.updateMany({ _id: { $in: batch } }, { $unset: { trashedBy: '' } });
}

/** Makes `id` a trash root: hidden with everything marked by it, listed in its owner's trash. */
export async function setTrashRoot(id: ObjectId, trash: TrashInfo): Promise<void> {
  await dbClient.files.updateOne({ _id: id }, { $set: { trashedBy: id, trash } });
}

/** Takes a trash root out of the trash, into `parentId`. */
export async function restoreTrashRoot(id: ObjectId, parentId: StoredParentId): Promise<void> {
  await dbClient.files.updateOne({ _id: id }, { $unset: { trashedBy: '', trash: '' }, $set: { parentId } });
}

/** Any date matches, and none of the documents without one: the index's bounds stay tight. */
const IN_TRASH = { $gte: new Date(0) };

/** One page of `owner`'s trash roots, newest first. */
export async function listTrashRoots(owner: ObjectId, skip: number, limit: number): Promise<FileDoc[]> {
  return dbClient.files.find({ userId: owner, 'trash.at': IN_TRASH }).sort({ 'trash.at': -1, _id: -1 }).skip(skip).limit(limit).toArray();
}

/** Trash roots due to be purged, oldest first; `owner`'s alone, all of them, when given. */
export async function findTrashRoots(filter: { owner: ObjectId } | { dueBy: Date }, limit: number): Promise<FileDoc[]> {
  const query: Filter<FileDoc> = 'owner' in filter ? { userId: filter.owner, 'trash.at': IN_TRASH } : { 'trash.purgeAt': { $lte: filter.dueBy } };
  return dbClient.files.find(query).sort('owner' in filter ? { 'trash.at': 1 } : { 'trash.purgeAt': 1 }).limit(limit).toArray();
}

/** What `owner`'s documents take, counted from them: an account's first count, and fsck's check. */
export async function totalsOf(owner: ObjectId): Promise<{ stored: number; trash: number; files: number }> {
  const trashedFolders = new Set<string>();
  const folders = dbClient.files.find({ userId: owner, type: 'folder', trashedBy: { $exists: true } }, { projection: { _id: 1 }, batchSize: BATCH });
  for await (const { _id: id } of folders) trashedFolders.add(id.toHexString());
  const totals = { stored: 0, trash: 0, files: 0 };
  const cursor = dbClient.files.find<Pick<FileDoc, 'type' | 'size' | 'trashedBy' | 'parentId'>>(
    { userId: owner, type: { $ne: 'folder' } },
    { projection: { _id: 0, type: 1, size: 1, trashedBy: 1, parentId: 1 }, batchSize: BATCH },
  );
  for await (const doc of cursor) {
    const size = doc.size ?? 0;
    totals.stored += size;
    totals.files += 1;
    const folder = parentObjectId(doc.parentId);
    if (doc.trashedBy !== undefined || (folder !== null && trashedFolders.has(folder.toHexString()))) totals.trash += size;
  }
  return totals;
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

export type ScannedFile = Pick<FileDoc, '_id' | 'userId' | 'parentId' | 'type' | 'deleting' | 'trashedBy' | 'size'> & BlobLocation;

/** Every document (or every one of `owner`'s), BATCH at a time in `_id` order, for the consistency checker. */
export async function* scanFiles(owner?: ObjectId): AsyncGenerator<ScannedFile[]> {
  const cursor = dbClient.files.find<ScannedFile>(
    owner === undefined ? {} : { userId: owner },
    { projection: { _id: 1, userId: 1, parentId: 1, type: 1, deleting: 1, trashedBy: 1, size: 1, ...BLOB_LOCATION }, sort: { _id: 1 }, batchSize: BATCH },
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
