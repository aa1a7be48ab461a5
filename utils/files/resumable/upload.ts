import { createHash, randomBytes, type Hash } from 'node:crypto';
import { finished, type Readable, type Transform } from 'node:stream';
import { ObjectId } from 'mongodb';
import { config } from '../../config';
import type { UploadDoc } from '../../db';
import { HttpError, notFound, payloadTooLarge, uploadAborted, uploadBusy } from '../../errors';
import { queues } from '../../queues';
import { redisClient } from '../../redis';
import { type HeldLock, withRedisLock } from '../../redisLock';
import { hashingLimit, sha256Of } from '../../storage/byteStore';
import { blobFields, newStaging, removeBlob, stagedBlob, stagingStore } from '../../storage/stores';
import type { UploadMetadata } from '../input';
import { parentNotFound } from '../tree';
import { commitUpload } from '../upload/commit';
import type { Place } from '../upload/create';
import { type Checksum, checksumMismatch, offsetMismatch } from './protocol';
import { forgetHash, keepHash, resumeHash } from './runningHashes';
import { recordUsage, reserveResumable } from '../../users/quota';
import { deleteUpload, findExpired, findUpload, insertUpload, markDone, recordProgress } from './store';

/**
 * Resumable uploads (tus): each request holds its upload's lock (one at a time, on any server),
 * checks the offset it read, appends to the staging of the upload's store, and records the new
 * offset only if its bytes are to be kept. The request that brings the last byte turns the
 * staging into a file like any other.
 */

/** What a client learns of an upload: the tus headers of every answer. */
export interface UploadStatus {
  id: string;
  offset: number;
  length: number;
  expiresAt: Date;
  metadata?: string;
  /** Once the file exists. */
  fileId?: ObjectId;
}

/** The bytes a request brings (creation-with-upload, PATCH), and the digest the client says they have. */
export interface IncomingBytes {
  body: Readable;
  /** Content-Length, when sent: more than the upload has left is refused before any byte is read. */
  declared?: number;
  checksum?: Checksum;
}

/** A request waits this long for another on the same upload before 423. */
const LOCK_WAIT_MS = 2_000;
/**
 * A request that finds its upload busy asks the request holding it to stop where it is, as tusd
 * does: the usual holder is one whose client has already given up (a dropped network closes
 * nothing on the server's side), and would otherwise hold the upload until the body timeout.
 * The holder keeps what arrived and answers 423; a client still there asks for the offset and
 * carries on. How often a holder looks, and how long a request stays asked for:
 */
const RELEASE_POLL_MS = 200;
const RELEASE_ASKED_SECONDS = 5;

const releaseKey = (id: string): string => `upload_release_${id}`;

function withUploadLock<T>(id: string, waitMs: number, work: (lock: HeldLock) => Promise<T>): Promise<T> {
  const onWait = (): Promise<void> => redisClient.set(releaseKey(id), 1, RELEASE_ASKED_SECONDS);
  return withRedisLock({ keys: [`upload_lock_${id}`, 'upload_fence'], waitMs, busy: uploadBusy, onWait }, work);
}

/** Stops `stream` with 423 once another request asks for the upload; the returned function stops watching. */
async function watchForRelease(id: string, stream: Transform): Promise<() => void> {
  // Asked by a request that now holds the lock (this one): nobody is waiting any more.
  await redisClient.del(releaseKey(id));
  const poll = setInterval(() => {
    redisClient.get(releaseKey(id)).then(
      (asked) => {
        if (asked !== null) stream.destroy(uploadBusy());
      },
      () => undefined,
    );
  }, RELEASE_POLL_MS);
  return () => clearInterval(poll);
}

const expiryFrom = (now: number): Date => new Date(now + config().uploadExpirySeconds * 1000);

function statusOf(upload: UploadDoc): UploadStatus {
  const { _id: id, offset, length, expiresAt, metadata } = upload;
  return { id, offset, length, expiresAt, metadata, fileId: upload.done === true ? upload.fileId : undefined };
}

/** Whose uploads a request may touch: the owner's, or (through a drop folder's link) those going into one folder of theirs. */
export interface UploadAccess {
  owner: ObjectId;
  folder?: ObjectId;
}

function accessible(upload: UploadDoc, { owner, folder }: UploadAccess): boolean {
  if (!upload.userId.equals(owner)) return false;
  return folder === undefined || (upload.file.parentId !== 0 && upload.file.parentId.equals(folder));
}

/** An upload the request may touch, unexpired; anything else is 404, so an id tells a stranger nothing. */
async function liveUpload(access: UploadAccess, id: string): Promise<UploadDoc> {
  const upload = await findUpload(id);
  if (upload === null || !accessible(upload, access) || upload.expiresAt.getTime() <= Date.now()) throw notFound();
  return upload;
}

/** `POST /uploads`: checks the file's fields as `POST /files` does before any byte, then takes the first bytes if sent. */
export async function createResumable(
  owner: ObjectId,
  place: Place,
  request: { length: number; fields: UploadMetadata & { type: 'file' | 'image' }; metadata?: string },
  bytes?: IncomingBytes,
): Promise<UploadStatus> {
  const { parentId, isPublic } = await place(request.fields);
  // Refused before the upload exists, rather than leaving one the client never learns of.
  if ((bytes?.declared ?? 0) > request.length) throw payloadTooLarge();
  const now = Date.now();
  const upload: UploadDoc = {
    _id: randomBytes(16).toString('hex'),
    userId: owner,
    length: request.length,
    offset: 0,
    file: { name: request.fields.name, type: request.fields.type, parentId, isPublic },
    fileId: new ObjectId(),
    staging: newStaging(),
    createdAt: new Date(now),
    expiresAt: expiryFrom(now),
    // Stored only when sent: the driver would store an absent value as null.
    ...(request.metadata === undefined ? {} : { metadata: request.metadata }),
  };
  await reserveResumable(owner, upload.length);
  try {
    await insertUpload(upload);
  } catch (error) {
    await recordUsage(owner, { uploads: -upload.length });
    throw error;
  }
  if (bytes === undefined && upload.length > 0) return statusOf(upload);
  return withUploadLock(upload._id, LOCK_WAIT_MS, (lock) => appendLocked(upload, lock, bytes));
}

/** `PATCH /uploads/:id`: `offset` must be where the upload is. */
export function appendToUpload(access: UploadAccess, id: string, offset: number, bytes: IncomingBytes): Promise<UploadStatus> {
  return withUploadLock(id, LOCK_WAIT_MS, async (lock) => {
    const upload = await liveUpload(access, id);
    if (offset !== upload.offset) throw offsetMismatch();
    return appendLocked(upload, lock, bytes);
  });
}

/** `HEAD /uploads/:id`; also finishes an upload whose last request stored every byte but did not live to make the file. */
export async function uploadStatus(access: UploadAccess, id: string): Promise<UploadStatus> {
  const upload = await liveUpload(access, id);
  if (upload.offset < upload.length || upload.done === true) return statusOf(upload);
  return withUploadLock(id, LOCK_WAIT_MS, async (lock) => {
    const current = await liveUpload(access, id);
    return current.done === true ? statusOf(current) : finish(current, lock, undefined);
  });
}

/** `DELETE /uploads/:id`: the upload and its staged bytes go; a file it made stays. */
export async function terminateUpload(access: UploadAccess, id: string): Promise<void> {
  await withUploadLock(id, LOCK_WAIT_MS, async () => {
    const upload = await liveUpload(access, id);
    await forget(upload);
  });
}

/**
 * The document first: an upload without it is unreachable, while a document without its bytes
 * would answer wrongly. An upload that made no file gives back what it counted in its owner's usage.
 */
async function forget(upload: UploadDoc): Promise<void> {
  await deleteUpload(upload._id);
  forgetHash(upload._id);
  if (upload.counted !== true) await recordUsage(upload.userId, { uploads: -upload.length });
  if (upload.done !== true) await stagingStore(upload.staging).discard(upload.staging);
}

async function appendLocked(upload: UploadDoc, lock: HeldLock, bytes: IncomingBytes | undefined): Promise<UploadStatus> {
  const { _id: id, offset, length } = upload;
  if (bytes === undefined || offset === length) {
    if (bytes !== undefined) await assertEmpty(bytes.body);
    return offset === length && upload.done !== true ? finish(upload, lock, resumeHash(id, offset)) : statusOf(upload);
  }
  if ((bytes.declared ?? 0) > length - offset) throw payloadTooLarge();
  const hash = resumeHash(id, offset);
  const check = bytes.checksum === undefined ? undefined : createHash(bytes.checksum.algorithm);
  const { stream } = hashingLimit({ maxBytes: length - offset }, [hash, check].filter((each) => each !== undefined));
  // Its failure reaches the store's append, which may still be opening its file when it happens.
  stream.on('error', () => undefined);
  const { body } = bytes;
  // A client that goes away fails the append, which keeps what arrived.
  const stopWatching = finished(body, (error) => {
    if (error) stream.destroy(uploadAborted());
  });
  const stopPolling = await watchForRelease(id, stream);
  body.pipe(stream);
  const store = stagingStore(upload.staging);
  let appended;
  try {
    appended = await store.append(upload.staging, offset, length, stream);
  } catch (error) {
    // The store failed: the request is answered with its error; its body is the error handler's to drain.
    body.unpipe(stream);
    throw error;
  } finally {
    stopWatching();
    stopPolling();
  }
  // Released or cut off: the rest of the body, if any, is the error handler's to drain.
  if (appended.error !== undefined) body.unpipe(stream);
  const failure = appended.error;
  const refusal = refusalOf(failure, check, bytes.checksum);
  if (refusal !== undefined) {
    await store.release(appended.state, upload.staging);
    throw refusal;
  }
  await lock.assertHeld();
  const progress = { offset: offset + appended.written, staging: appended.state, expiresAt: expiryFrom(Date.now()) };
  if (!(await recordProgress(id, offset, progress))) throw offsetMismatch();
  await store.release(upload.staging, appended.state);
  keepHash(id, progress.offset, failure === undefined ? hash : undefined);
  if (failure !== undefined) throw failure;
  const updated = { ...upload, ...progress };
  return updated.offset === length ? finish(updated, lock, hash) : statusOf(updated);
}

/**
 * Why none of a request's bytes may be kept: it sent more than was left, or its digest does not
 * match. A client that went away keeps what arrived (it resumes from there), unless it asked for
 * a checksum, which only the whole body can satisfy.
 */
function refusalOf(failure: Error | undefined, check: Hash | undefined, checksum: Checksum | undefined): HttpError | undefined {
  if (failure instanceof HttpError && failure.status === 413) return failure;
  if (checksum === undefined || check === undefined) return undefined;
  if (failure !== undefined) return uploadAborted();
  return check.digest().equals(checksum.digest) ? undefined : checksumMismatch();
}

/** A request at the end of the upload may bring no more bytes. */
async function assertEmpty(body: Readable): Promise<void> {
  for await (const chunk of body as AsyncIterable<Buffer>) if (chunk.length > 0) throw payloadTooLarge();
}

/**
 * Every byte is stored: the staging becomes the file's bytes, and a document like any upload's
 * is inserted over them, under the id chosen at creation (a retry inserts nothing twice).
 */
async function finish(upload: UploadDoc, lock: HeldLock, hash: Hash | undefined): Promise<UploadStatus> {
  const { userId: owner, fileId, length, file } = upload;
  await stagingStore(upload.staging).complete(upload.staging, length);
  const blob = stagedBlob(upload.staging);
  const sha256 = hash?.digest('hex') ?? (await sha256Of(await blob.store.read(blob.key)));
  await lock.assertHeld();
  // Counted as POST /files counts, the reserved length becoming the file's. A retry whose document
  // an earlier try inserted has its count taken back (commitUpload); older versions marked an
  // upload counted before its insert, and such a one is not counted again.
  const delta = upload.counted === true ? {} : { uploads: -length, stored: length, files: 1 };
  const document = { _id: fileId, userId: owner, ...file, ...blobFields(blob), size: length, sha256, createdAt: new Date() };
  if ((await commitUpload(owner, { document, usage: { delta } })) === undefined) {
    await removeBlob(blob);
    await forget(upload);
    throw parentNotFound();
  }
  const expiresAt = expiryFrom(Date.now());
  await markDone(upload._id, expiresAt);
  forgetHash(upload._id);
  if (file.type === 'image') await queues.enqueueThumbnails(fileId.toHexString(), owner.toHexString());
  return { ...statusOf(upload), expiresAt, fileId };
}

/** Uploads looked at per query of the sweep. */
const SWEEP_BATCH = 100;

/**
 * The worker's sweep: expired uploads go, with the bytes of those unfinished. Each is removed
 * under its lock, after reading it again; one busy with a request is left to the next sweep.
 * Safe with several workers at once. Returns how many went.
 */
export async function removeExpiredUploads(now = new Date()): Promise<number> {
  let removed = 0;
  for (;;) {
    const expired = await findExpired(now, SWEEP_BATCH);
    let skipped = 0;
    for (const { _id: id } of expired) {
      const gone = await withUploadLock(id, 0, async () => {
        const upload = await findUpload(id);
        if (upload === null || upload.expiresAt > now) return false;
        await forget(upload);
        return true;
      }).catch((error: unknown) => {
        if (error instanceof HttpError && error.status === 423) return false;
        throw error;
      });
      if (gone) removed += 1;
      else skipped += 1;
    }
    if (expired.length < SWEEP_BATCH || skipped > 0) return removed;
  }
}

