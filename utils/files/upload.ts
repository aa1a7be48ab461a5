import type { Readable } from 'node:stream';
import type { ObjectId } from 'mongodb';
import { config } from '../config';
import type { FileDoc } from '../db';
import { queues } from '../queues';
import type { StoredBytes } from './byteStore';
import type { UploadMetadata } from './input';
import { blobFields, removeBlob, storeUpload } from './storage';
import { insertFile } from './store';
import { resolveParent } from './tree';

/** Bytes already written under `key`: a multipart file part that came before its fields. */
export interface StagedBytes extends StoredBytes {
  key: string;
}

/** What an upload carries besides its metadata. */
export type UploadContent =
  | { kind: 'none' }
  /** Read only once every check has passed. */
  | { kind: 'stream'; source: Readable }
  | { kind: 'staged'; bytes: StagedBytes };

export interface Upload extends UploadMetadata {
  content: UploadContent;
}

/**
 * `POST /files`, however the request came: checks the parent, writes the bytes, inserts the
 * document and, for an image, queues its thumbnails. Staged bytes are removed when a check
 * fails, and written bytes when the document cannot be inserted: bytes without a document
 * are garbage nobody can reach.
 */
export async function createUpload(owner: ObjectId, upload: Upload): Promise<FileDoc> {
  const { content } = upload;
  let parentId: ObjectId | 0;
  let isPublic: boolean;
  try {
    parentId = await resolveParent(owner, upload.parent);
    if (!upload.isPublic.ok) throw upload.isPublic.error;
    isPublic = upload.isPublic.value;
    // A folder has no content: whatever was sent with it is dropped.
    if (upload.type === 'folder' && content.kind === 'staged') await removeBlob(content.bytes.key);
  } catch (error) {
    if (content.kind === 'staged') await removeBlob(content.bytes.key);
    throw error;
  }

  const document: Omit<FileDoc, '_id'> = { userId: owner, name: upload.name, type: upload.type, isPublic, parentId, createdAt: new Date() };
  if (upload.type === 'folder' || content.kind === 'none') return insertFile(document);

  const bytes = content.kind === 'staged' ? content.bytes : await storeUpload(content.source, config().uploadMaxBytes);
  let file: FileDoc;
  try {
    file = await insertFile({ ...document, ...blobFields(bytes.key), size: bytes.size, sha256: bytes.sha256 });
  } catch (error) {
    await removeBlob(bytes.key);
    throw error;
  }
  if (file.type === 'image') await queues.enqueueThumbnails(file._id.toHexString(), owner.toHexString());
  return file;
}
