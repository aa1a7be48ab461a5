import type { Readable } from 'node:stream';
import { ObjectId, type Filter } from 'mongodb';
import { config } from './config';
import { dbClient, FILE_TYPES, findFileOf, toObjectId, type FileDoc, type FileType, type StoredParentId, type UserDoc } from './db';
import { badRequest, notFound } from './errors';
import { queues } from './queues';
import {
  payloadTooLarge,
  removeBlob,
  storeBuffer,
  storeStream,
  thumbnailPath,
  THUMBNAIL_WIDTHS,
  type StoredBlob,
  type ThumbnailWidth,
} from './storage';
import { chunks, findDescendants, isWithin, type TreeEntry } from './tree';

export const PAGE_SIZE = 20;
export const ROOT = 0;

/** The exact shape the contract returns for a file: ids as hex, never `_id` or `localPath`. */
export interface PublicFile {
  id: string;
  userId: string;
  name: string;
  type: FileType;
  isPublic: boolean;
  parentId: 0 | string;
}

/** The public shape plus what `GET /files/:id?fields=all` adds. */
export interface DetailedFile extends PublicFile {
  size: number | null;
  sha256: string | null;
  createdAt: string | null;
}

/** What an upload says about the file, validated; the bytes travel separately. */
export interface UploadMetadata {
  name: string;
  type: FileType;
  isPublic: boolean;
}

/** Echoes the stored parent as stored: 0 stays 0, "0" stays "0", an ObjectId becomes hex. */
function publicParentId(parentId: StoredParentId): 0 | string {
  return parentId instanceof ObjectId ? parentId.toHexString() : parentId;
}

export function toPublicFile(file: FileDoc): PublicFile {
  return {
    id: file._id.toHexString(),
    userId: file.userId.toHexString(),
    name: file.name,
    type: file.type,
    isPublic: file.isPublic === true,
    parentId: publicParentId(file.parentId),
  };
}

export function toDetailedFile(file: FileDoc): DetailedFile {
  return {
    ...toPublicFile(file),
    size: file.size ?? null,
    sha256: file.sha256 ?? null,
    createdAt: file.createdAt?.toISOString() ?? null,
  };
}

function isRootParentId(value: unknown): boolean {
  return value === undefined || value === null || value === 0 || value === '0' || value === '';
}

/** Only the boolean `true` and the string "true" make a file public. */
export function parseIsPublic(value: unknown): boolean {
  return value === true || value === 'true';
}

/** Checks name and type, in the contract's order. */
export function validateMetadata(fields: { name?: unknown; type?: unknown; isPublic?: unknown }): UploadMetadata {
  const { name, type } = fields;
  if (typeof name !== 'string' || name === '') throw badRequest('Missing name');
  const fileType = FILE_TYPES.find((candidate) => candidate === type);
  if (fileType === undefined) throw badRequest('Missing type');
  return { name, type: fileType, isPublic: parseIsPublic(fields.isPublic) };
}

/** A folder of `owner`'s that a new or moved file may go into; the root is 0. */
export async function resolveParent(owner: UserDoc, value: unknown): Promise<ObjectId | 0> {
  if (isRootParentId(value)) return ROOT;
  const parent = await findFileOf(owner._id, value);
  if (!parent) throw badRequest('Parent not found');
  if (parent.type !== 'folder') throw badRequest('Parent is not a folder');
  return parent._id;
}

/**
 * The alphabet and the padding only; lengths are checked apart. A regex that also counted
 * quads, `(?:x{4})*`, backtracks per quad and overflows V8's stack from about 4 MiB of data.
 */
const BASE64_CHARS = /^[A-Za-z0-9+/]*(={0,2})$/;

/** Padded input comes in whole quads; unpadded input may end in 2 or 3 characters, never 1. */
function isBase64(text: string): boolean {
  const padding = BASE64_CHARS.exec(text)?.[1];
  if (padding === undefined) return false;
  return padding.length > 0 ? text.length % 4 === 0 : text.length % 4 !== 1;
}

/** Standard base64, padding optional, line breaks and spaces ignored (MIME-style input). */
export function decodeBase64(data: unknown): Buffer {
  if (typeof data !== 'string') throw badRequest('Invalid data');
  const compact = /\s/.test(data) ? data.replace(/\s+/g, '') : data;
  if (!isBase64(compact)) throw badRequest('Invalid data');
  return Buffer.from(compact, 'base64');
}

async function insertFile(owner: UserDoc, metadata: UploadMetadata, parentId: ObjectId | 0, blob?: StoredBlob): Promise<FileDoc> {
  const file: Omit<FileDoc, '_id'> = { userId: owner._id, ...metadata, parentId, createdAt: new Date() };
  if (blob !== undefined) Object.assign(file, blob);
  try {
    const { insertedId } = await dbClient.files.insertOne(file as FileDoc);
    return { ...file, _id: insertedId };
  } catch (error) {
    // The document is the only thing that makes bytes reachable; without it they are garbage.
    if (blob !== undefined) await removeBlob(blob.localPath);
    throw error;
  }
}

async function finishUpload(file: FileDoc): Promise<FileDoc> {
  if (file.type === 'image') await queues.enqueueThumbnails(file._id.toHexString(), file.userId.toHexString());
  return file;
}

/** Name, type, then "Missing data" for a non-folder without bytes: the contract's first checks. */
function checkMetadata(fields: Record<string, unknown>, hasData: boolean): UploadMetadata {
  const metadata = validateMetadata(fields);
  if (metadata.type !== 'folder' && !hasData) throw badRequest('Missing data');
  return metadata;
}

/** `POST /files` with a JSON body: the contract's order of checks, then bytes, then the document. */
export async function createFromJson(owner: UserDoc, body: Record<string, unknown>): Promise<FileDoc> {
  const metadata = checkMetadata(body, body.data !== undefined && body.data !== null);
  const content = metadata.type === 'folder' ? undefined : decodeBase64(body.data);
  // The body limit leaves room for the other fields, so the decoded size is checked on its own.
  if (content !== undefined && content.length > config().uploadMaxBytes) throw payloadTooLarge();
  const parentId = await resolveParent(owner, body.parentId);
  if (content === undefined) return insertFile(owner, metadata, parentId);
  return finishUpload(await insertFile(owner, metadata, parentId, await storeBuffer(content)));
}

/** Every upload check after the bytes' own: name, type, "Missing data", then the parent. */
export async function checkUpload(
  owner: UserDoc,
  fields: Record<string, unknown>,
  hasData: boolean,
): Promise<{ metadata: UploadMetadata; parentId: ObjectId | 0 }> {
  const metadata = checkMetadata(fields, hasData);
  return { metadata, parentId: await resolveParent(owner, fields.parentId) };
}

/**
 * A streamed upload whose metadata is known first (a raw body with a query string): every
 * check passes before the first byte is read from `source`.
 */
export async function createFromStream(
  owner: UserDoc,
  fields: Record<string, unknown>,
  source: Readable | undefined,
  maxBytes: number,
): Promise<FileDoc> {
  const { metadata, parentId } = await checkUpload(owner, fields, source !== undefined);
  if (metadata.type === 'folder' || source === undefined) return insertFile(owner, metadata, parentId);
  return finishUpload(await insertFile(owner, metadata, parentId, await storeStream(source, maxBytes)));
}

/**
 * For bytes that arrived before all of their metadata (a multipart file part ahead of its
 * fields): the same checks, and the stored bytes are removed if any of them fails.
 */
export async function createFromBlob(owner: UserDoc, fields: Record<string, unknown>, blob: StoredBlob | undefined): Promise<FileDoc> {
  let checked;
  try {
    checked = await checkUpload(owner, fields, blob !== undefined);
  } catch (error) {
    if (blob !== undefined) await removeBlob(blob.localPath);
    throw error;
  }
  const { metadata, parentId } = checked;
  if (metadata.type !== 'folder') return finishUpload(await insertFile(owner, metadata, parentId, blob));
  // A folder has no content: whatever was sent with it is dropped.
  if (blob !== undefined) await removeBlob(blob.localPath);
  return insertFile(owner, metadata, parentId);
}

export async function findOwnedFile(owner: UserDoc, id: unknown): Promise<FileDoc> {
  const file = await findFileOf(owner._id, id);
  if (!file) throw notFound();
  return file;
}

/** Applies `changes` to a file already known to be the caller's; userId never changes, so `_id` suffices. */
async function updateOwnedFile(file: FileDoc, changes: Partial<Pick<FileDoc, 'name' | 'isPublic' | 'parentId'>>): Promise<FileDoc> {
  const { matchedCount } = await dbClient.files.updateOne({ _id: file._id }, { $set: changes });
  // Deleted between the lookup and the update.
  if (matchedCount === 0) throw notFound();
  return { ...file, ...changes };
}

/** Stored parent values that mean "this folder": both the root forms, or both forms of an id. */
function parentIdForms(value: unknown): StoredParentId[] | null {
  if (isRootParentId(value)) return [ROOT, '0'];
  const id = toObjectId(value);
  return id && [id, id.toHexString()];
}

/** Page numbers are integers from 0; anything else is page 0. */
export function parsePage(value: unknown): number {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return 0;
  const page = Number(value);
  return Number.isSafeInteger(page * PAGE_SIZE) ? page : 0;
}

export async function listFiles(owner: UserDoc, parentIdValue: unknown, pageValue: unknown): Promise<FileDoc[]> {
  const parentIds = parentIdForms(parentIdValue);
  if (parentIds === null) return [];
  const match: Filter<FileDoc> = { userId: owner._id, parentId: { $in: parentIds } };
  return dbClient.files
    .aggregate<FileDoc>([
      { $match: match },
      { $sort: { _id: 1 } },
      { $skip: parsePage(pageValue) * PAGE_SIZE },
      { $limit: PAGE_SIZE },
    ])
    .toArray();
}

export async function setPublic(owner: UserDoc, id: unknown, isPublic: boolean): Promise<FileDoc> {
  return updateOwnedFile(await findOwnedFile(owner, id), { isPublic });
}

function parseThumbnailWidth(value: unknown): ThumbnailWidth | undefined {
  if (value === undefined) return undefined;
  const width = THUMBNAIL_WIDTHS.find((candidate) => String(candidate) === value);
  if (width === undefined) throw badRequest('Invalid size');
  return width;
}

/**
 * The file whose bytes `viewer` (null when anonymous) may read, and where they are. A private
 * file is "Not found" to everyone but its owner, before anything else is revealed about it.
 */
export async function findReadableContent(
  id: unknown,
  viewer: UserDoc | null,
  sizeValue: unknown,
): Promise<{ file: FileDoc; path: string }> {
  const width = parseThumbnailWidth(sizeValue);
  const fileId = toObjectId(id);
  const file = fileId && (await dbClient.files.findOne({ _id: fileId }));
  if (!file) throw notFound();
  if (file.isPublic !== true && !(viewer && viewer._id.equals(file.userId))) throw notFound();
  if (file.type === 'folder') throw badRequest("A folder doesn't have content");
  if (file.localPath === undefined) throw notFound();
  return { file, path: width === undefined ? file.localPath : thumbnailPath(file.localPath, width) };
}

/**
 * Deletes a file, or a folder with everything under it. Documents go first, so nothing
 * reachable ever points at missing bytes; the bytes and thumbnails follow.
 */
export async function deleteFile(owner: UserDoc, id: unknown): Promise<void> {
  const file = await findOwnedFile(owner, id);
  const doomed: TreeEntry[] = [file, ...(file.type === 'folder' ? await findDescendants(owner._id, file._id) : [])];
  for (const batch of chunks(doomed)) {
    await dbClient.files.deleteMany({ _id: { $in: batch.map((entry) => entry._id) }, userId: owner._id });
  }
  for (const batch of chunks(doomed.filter((entry) => entry.localPath !== undefined), 32)) {
    await Promise.all(batch.map((entry) => removeBlob(entry.localPath as string)));
  }
}

/** `PATCH /files/:id`: rename, move and (un)publish, each field optional. */
export async function updateFile(owner: UserDoc, id: unknown, changes: Record<string, unknown>): Promise<FileDoc> {
  const file = await findOwnedFile(owner, id);
  const update: Partial<Pick<FileDoc, 'name' | 'isPublic' | 'parentId'>> = {};
  if (changes.name !== undefined) {
    if (typeof changes.name !== 'string' || changes.name === '') throw badRequest('Missing name');
    update.name = changes.name;
  }
  if (changes.isPublic !== undefined) update.isPublic = parseIsPublic(changes.isPublic);
  if ('parentId' in changes) {
    const parentId = await resolveParent(owner, changes.parentId);
    if (parentId !== ROOT && file.type === 'folder' && (await isWithin(owner._id, parentId, file._id))) {
      throw badRequest('Cannot move a folder into itself');
    }
    update.parentId = parentId;
  }
  if (Object.keys(update).length === 0) return file;
  return updateOwnedFile(file, update);
}
