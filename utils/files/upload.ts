import type { Readable } from 'node:stream';
import type { ObjectId } from 'mongodb';
import { config } from '../config';
import type { FileDoc } from '../db';
import { queues } from '../queues';
import type { UploadMetadata } from './input';
import { blobFields, removeBlob, storeUpload, type StagedBytes } from './storage';
import { deleteFiles, insertFile } from './store';
import { parentNotFound, resolveParent, stillAcceptsChildren } from './tree';

/** What an upload carries besides its metadata. */
export type UploadContent =
  | { kind: 'none' }
  /** Read only once every check has passed. */
  | { kind: 'stream'; source: Readable }
  /** Bytes written before the metadata was known: a multipart file part that came before its fields. */
  | { kind: 'staged'; bytes: StagedBytes };

export interface Upload extends UploadMetadata {
  content: UploadContent;
}

/**
 * `POST /files`, however the request came: checks the parent, writes the bytes, inserts the
 * document, checks the parent again (it may have begun its delete meanwhile) and, for an
 * image, queues its thumbnails. When a check fails or the insert does, whatever was written
 * is removed: bytes without a document are garbage nobody can reach, and a document under a
 * deleted folder an orphan.
 */
export async function createUpload(owner: ObjectId, upload: Upload): Promise<FileDoc> {
  const { content } = upload;
  let parentId: ObjectId | 0;
  let isPublic: boolean;
  try {
    parentId = await resolveParent(owner, upload.parent);
    if (!upload.isPublic.ok) throw upload.isPublic.error;
    isPublic = upload.isPublic.value;
  } catch (error) {
    if (content.kind === 'staged') await removeBlob(content.bytes);
    throw error;
  }
  // A folder has no content: whatever was sent with it is dropped.
  if (upload.type === 'folder' && content.kind === 'staged') await removeBlob(content.bytes);

  const document: Omit<FileDoc, '_id'> = { userId: owner, name: upload.name, type: upload.type, isPublic, parentId, createdAt: new Date() };
  let bytes: StagedBytes | undefined;
  if (upload.type !== 'folder' && content.kind === 'staged') bytes = content.bytes;
  if (upload.type !== 'folder' && content.kind === 'stream') bytes = await storeUpload(content.source, config().uploadMaxBytes);
  let file: FileDoc | undefined;
  try {
    file = await insertFile(bytes === undefined ? document : { ...document, ...blobFields(bytes), size: bytes.size, sha256: bytes.sha256 });
    // The parent may have begun its delete while this upload ran: see markSubtreeForDeletion.
    if (!(await stillAcceptsChildren(owner, parentId))) throw parentNotFound();
  } catch (error) {
    if (file !== undefined) await deleteFiles(owner, [file._id]);
    if (bytes !== undefined) await removeBlob(bytes);
    throw error;
  }
  if (file.type === 'image') await queues.enqueueThumbnails(file._id.toHexString(), owner.toHexString());
  return file;
}
