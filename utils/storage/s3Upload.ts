import type { Readable } from 'node:stream';
import { AbortMultipartUploadCommand, DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { meter, type StoredBytes, type WriteOptions } from './byteStore';
import { CALL_TIMEOUT_MS } from './s3Client';
import { markSourceError } from './s3Errors';

/** One object's write to a bucket as a multipart upload, streamed from a source that may fail or stop at any byte. */

export interface ObjectAddress {
  Bucket: string;
  Key: string;
}

/**
 * Multipart while the client is still sending. lib-storage copies every part into a fresh buffer
 * and V8 frees those only at its next full collection, so the process grows by far more than
 * queueSize x partSize. Measured growth during a 512 MiB upload over loopback (RSS peak minus
 * start): 8 MiB x 4 parts in flight ~100-115 MiB, 8 x 2 ~80-90, 8 x 1 ~70, 5 x 2 ~50-67,
 * 5 x 1 ~37-47. Only the last stays well inside our 64 MiB budget for one upload, at the cost of
 * not receiving the next part while one is being sent. 5 MiB is S3's minimum part size, so objects
 * can reach 10,000 parts x 5 MiB (~48.8 GiB).
 */
const PART_SIZE = 5 * 1024 * 1024;
const QUEUE_SIZE = 1;

/** Streams `source` into the object, counting and hashing it; on any failure no part or object is left. */
export async function uploadObject(client: S3Client, object: ObjectAddress, source: Readable, options: WriteOptions): Promise<StoredBytes> {
  const counted = meter(options);
  const counter = counted.stream;
  /** Why we stopped reading `source`: over the limit, or the source itself failed. */
  let failure: Error | undefined;
  counter.once('error', (error: Error) => {
    failure ??= error;
  });
  // Its errors reach us through the upload; an unheard 'error' event would crash the process.
  counter.on('error', () => undefined);

  // Failing the body, rather than calling upload.abort(), is what makes lib-storage stop and
  // abort the multipart upload *before* done() settles; abort() settles done() at once and
  // leaves that cleanup running unawaited, so a caller could still see the upload afterwards.
  const fail = (error: Error) => {
    if (failure !== undefined) return;
    failure = error;
    source.unpipe(counter);
    counter.destroy(error);
  };
  const onSourceError = (error: unknown) => {
    const reason = error instanceof Error ? error : new Error(`The upload source failed: ${String(error)}`);
    markSourceError(reason);
    fail(reason);
  };
  const onSourceClose = () => {
    if (source.readableEnded) return;
    const error = Object.assign(new Error('The upload source closed before it ended'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    markSourceError(error);
    fail(error);
  };
  source.on('error', onSourceError);
  source.on('close', onSourceClose);
  if (source.errored !== null) onSourceError(source.errored);
  else if (source.destroyed) onSourceClose();
  else source.pipe(counter);

  const upload = new Upload({
    client,
    params: { ...object, Body: counter },
    partSize: PART_SIZE,
    queueSize: QUEUE_SIZE,
    leavePartsOnError: false,
  });
  try {
    await upload.done();
  } catch (error) {
    // lib-storage has tried to abort already; if that call failed the upload would linger, and
    // aborting twice is harmless (the second answers NoSuchUpload).
    if (upload.uploadId !== undefined) await abortMultipart(client, { ...object, UploadId: upload.uploadId });
    throw failure ?? error;
  } finally {
    // The source is the caller's (an HTTP request whose socket must stay open for our error
    // response): unhook it and leave it to them to drain, never destroy it.
    source.unpipe(counter);
    source.off('error', onSourceError);
    source.off('close', onSourceClose);
    if (!counter.destroyed) counter.destroy();
  }
  if (failure !== undefined) {
    // The source failed only after its last byte went out: the object is whole but the caller was told otherwise.
    await client.send(new DeleteObjectCommand(object), { requestTimeout: CALL_TIMEOUT_MS }).catch(() => undefined);
    throw failure;
  }
  return counted.result();
}

async function abortMultipart(client: S3Client, upload: ObjectAddress & { UploadId: string }): Promise<void> {
  try {
    await client.send(new AbortMultipartUploadCommand(upload), { requestTimeout: CALL_TIMEOUT_MS });
  } catch {
    // NoSuchUpload: already aborted. Anything else: the bucket is failing, and the error that
    // ended the upload is the one to report; a lifecycle rule for incomplete uploads is the backstop.
  }
}
