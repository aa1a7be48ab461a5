import type { ObjectId } from 'mongodb';
import type { FileDoc } from '../../db';
import { queues } from '../../queues';
import { blobFields } from '../../storage/stores';
import type { UploadMetadata } from '../input';
import { deleteFiles, insertFile, ROOT } from '../store';
import { parentNotFound, resolveParent, stillAcceptsChildren } from '../tree';
import { type ExpectedSize, UploadAllowance } from '../../users/quota';
import { StagedBytes } from './stagedBytes';

/**
 * Reads one form of `POST /files` body (stageJsonUpload, stageMultipartUpload, stageRawUpload):
 * returns its metadata, having written its content, if any, into `bytes`.
 */
export type StageUpload = (bytes: StagedBytes) => Promise<UploadMetadata>;

export interface Placement {
  parentId: ObjectId | typeof ROOT;
  isPublic: boolean;
}

/**
 * Where an upload goes, judged from its metadata: a reader calls it before it accepts any byte
 * when the metadata comes first, so a refusal costs no write; createUpload calls it again in
 * every case. The owner's own uploads go where they ask (asAsked); a drop folder's go into it.
 */
export type Place = (upload: UploadMetadata) => Promise<Placement>;

/** The parent and isPublic the owner asked for, judged in the contract's order: the parent, then isPublic. */
export function asAsked(owner: ObjectId): Place {
  return async (upload) => {
    const parentId = await resolveParent(owner, upload.parent);
    if (!upload.isPublic.ok) throw upload.isPublic.error;
    return { parentId, isPublic: upload.isPublic.value };
  };
}

/**
 * `POST /files`, however the body came: stages it (within the owner's quota), checks the parent,
 * counts the bytes in the owner's usage, inserts the document over them, checks the parent again
 * (it may have begun its delete or gone to the trash meanwhile) and, for an image, queues its
 * thumbnails. Only then are the bytes the document's: on any failure before, they are removed,
 * their count undone, and a document already inserted under a deleted folder goes too.
 */
export async function createUpload(owner: ObjectId, place: Place, stage: StageUpload, expected: ExpectedSize): Promise<FileDoc> {
  const allowance = new UploadAllowance(owner, expected);
  const bytes = new StagedBytes(allowance);
  let file: FileDoc | undefined;
  try {
    const upload = await stage(bytes);
    const { parentId, isPublic } = await place(upload);
    const document: Omit<FileDoc, '_id'> = { userId: owner, name: upload.name, type: upload.type, isPublic, parentId, createdAt: new Date() };
    // A folder has no content: whatever was sent with it is never committed, so it is discarded below.
    const stored = upload.type === 'folder' ? undefined : await bytes.stored();
    // Counted before the document exists: a crash in between counts too much (fsck mends it), never too little.
    if (stored !== undefined) await allowance.commit(stored.size);
    file = await insertFile(stored === undefined ? document : { ...document, ...blobFields(stored), size: stored.size, sha256: stored.sha256 });
    // The parent may have begun its delete while this upload ran: see walkSubtree.
    if (!(await stillAcceptsChildren(owner, parentId))) throw parentNotFound();
    if (stored !== undefined) bytes.commit();
  } catch (error) {
    if (file !== undefined) await deleteFiles(owner, [file._id]);
    await allowance.cancel();
    throw error;
  } finally {
    await bytes.discard();
  }
  if (file.type === 'image') await queues.enqueueThumbnails(file._id.toHexString(), owner.toHexString());
  return file;
}
