import { ObjectId } from 'mongodb';
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
 * inserts the document over the bytes and counts them, checks the parent again (it may have begun
 * its delete or gone to the trash meanwhile) and, for an image, queues its thumbnails. Only then
 * are the bytes the document's: on any failure before, they are removed and their count undone.
 */
export async function createUpload(owner: ObjectId, place: Place, stage: StageUpload, expected: ExpectedSize): Promise<FileDoc> {
  const allowance = new UploadAllowance(owner, expected);
  const bytes = new StagedBytes(allowance);
  let file: FileDoc;
  try {
    const upload = await stage(bytes);
    const { parentId, isPublic } = await place(upload);
    const document: Omit<FileDoc, '_id'> = { userId: owner, name: upload.name, type: upload.type, isPublic, parentId, createdAt: new Date() };
    // A folder has no content: whatever was sent with it is never committed, so it is discarded below.
    const stored = upload.type === 'folder' ? undefined : await bytes.stored();
    const insert = async (fields: Partial<FileDoc>): Promise<FileDoc> => (await insertChecked(owner, { ...document, ...fields })) ?? throwParentNotFound();
    if (stored === undefined) file = await insert({});
    else file = await allowance.commit(stored.size, () => insert({ ...blobFields(stored), size: stored.size, sha256: stored.sha256 }));
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

/**
 * Inserts the document, then checks its folder again: one that began its delete, or went to the
 * trash, while the upload ran takes nothing more, and the document goes (undefined then; see
 * walkSubtree).
 */
export async function insertChecked(owner: ObjectId, document: Omit<FileDoc, '_id'> & { _id?: ObjectId }): Promise<FileDoc | undefined> {
  const file = await insertFile(document);
  const folder = file.parentId instanceof ObjectId ? file.parentId : ROOT;
  if (await stillAcceptsChildren(owner, folder)) return file;
  await deleteFiles(owner, [file._id]);
  return undefined;
}

const throwParentNotFound = (): never => {
  throw parentNotFound();
};
