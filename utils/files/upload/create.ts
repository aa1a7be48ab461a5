import type { ObjectId } from 'mongodb';
import type { FileDoc } from '../../db';
import { queues } from '../../queues';
import { blobFields } from '../../storage/stores';
import type { UploadMetadata } from '../input';
import type { ROOT } from '../store';
import { parentNotFound, resolveParent } from '../tree';
import { type ExpectedSize, UploadAllowance } from '../../users/quota';
import { commitUpload } from './commit';
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
 * and commits the document over the bytes (commitUpload: counted, inserted, its parent checked
 * again); for an image, queues its thumbnails. Only then are the bytes the document's: on any
 * failure before, they are removed and their count undone.
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
    if (stored === undefined) file = await commitUpload(owner, { document });
    else file = await commitUpload(owner, { document: { ...document, ...blobFields(stored), size: stored.size, sha256: stored.sha256 }, usage: allowance.settle(stored.size) });
    if (file === undefined) throw parentNotFound();
    if (stored !== undefined) bytes.commit();
  } catch (error) {
    await allowance.cancel();
    throw error;
  } finally {
    await bytes.discard();
  }
  if (file.type === 'image') await queues.enqueueThumbnails(file._id.toHexString(), owner.toHexString());
  return file;
}
