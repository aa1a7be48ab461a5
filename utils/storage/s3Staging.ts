import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { S3Settings } from '../config';
import { CALL_TIMEOUT_MS } from './s3Client';
import type { ByteStore } from './byteStore';
import { nameOf } from './s3Errors';
import type { Appended, Staging, StagedPart, StagingStore } from './staging';

/**
 * S3's smallest part but the last. A request's bytes short of it stay in an object of their own
 * (the tail) until the next request brings the rest, so clients may send chunks of any size.
 */
const MIN_PART_BYTES = 5 * 1024 * 1024;
/**
 * One buffer of this size per request in flight, reused for every part of the request: memory
 * stays flat however large the request, and 8 MiB parts keep a 100 MiB upload to 13 calls.
 */
const PART_BYTES = 8 * 1024 * 1024;

/**
 * Part buffers outlive their request: a fresh 8 MiB per request would be garbage the collector
 * frees late, and a long upload in many requests would grow the process by far more than one part.
 */
const spareBuffers: Buffer[] = [];
const MAX_SPARE_BUFFERS = 4;

/** Tails sort apart from every file's key (those are uuids), under a prefix the store's listing skips. */
export const S3_STAGING_PREFIX = '.uploads/';

type S3State = Extract<Staging, { driver: 's3' }>;

function s3State(state: Staging): S3State {
  if (state.driver !== 's3') throw new Error(`an upload staged on the ${state.driver} driver cannot continue in S3`);
  // A document written with an undefined tail holds null there.
  const { tail, ...rest } = state;
  return (tail as S3State['tail'] | null) === null ? rest : state;
}

/** A multipart upload per resumable upload, created with its first full part, completed into the file's object. */
export class S3Staging implements StagingStore {
  constructor(
    /** The bucket's own store, for what a staged upload does with whole objects (its tail): read, stat, delete. */
    private readonly objects: Pick<ByteStore, 'read' | 'stat' | 'delete'>,
    private readonly client: () => S3Client,
    private readonly settings: S3Settings,
    /** The store's wrapper that turns an unreachable bucket into a 503. */
    private readonly tracked: <T>(call: () => Promise<T>) => Promise<T>,
  ) {}

  private objectKey(key: string): string {
    return this.settings.prefix + key;
  }

  /** Calls without a large body answer within CALL_TIMEOUT_MS; a part's upload has the client's longer default. */
  private call<T>(send: (client: S3Client) => Promise<T>): Promise<T> {
    return this.tracked(() => send(this.client()));
  }

  empty(key: string): Staging {
    return { driver: 's3', key, parts: [] };
  }

  async append(state: Staging, offset: number, length: number, body: Readable): Promise<Appended> {
    const buffer = spareBuffers.pop() ?? Buffer.allocUnsafe(PART_BYTES);
    try {
      return await this.appendThrough(buffer, s3State(state), offset, length, body);
    } finally {
      if (spareBuffers.length < MAX_SPARE_BUFFERS) spareBuffers.push(buffer);
    }
  }

  /** `buffer` holds the part being filled: the old tail first, then the body's bytes. */
  private async appendThrough(buffer: Buffer, state: S3State, offset: number, length: number, body: Readable): Promise<Appended> {
    // The driver would store an undefined field as null: the new state has no `tail` field until it has a tail.
    const { tail, ...kept } = state;
    const next: S3State = { ...kept, parts: [...kept.parts] };
    let filled = -1;
    let received = 0;
    let error: Error | undefined;
    const chunks = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    for (;;) {
      let read: IteratorResult<Buffer>;
      try {
        read = await chunks.next();
      } catch (failure) {
        // The body's failure ends the request; the bucket's own failures below are thrown.
        error = failure as Error;
        break;
      }
      if (read.done === true) break;
      if (filled < 0) filled = tail === undefined ? 0 : await this.readTail(tail.key, buffer);
      received += read.value.length;
      for (let start = 0; start < read.value.length; ) {
        const copied = read.value.copy(buffer, filled, start);
        [filled, start] = [filled + copied, start + copied];
        if (filled === PART_BYTES) {
          next.parts.push(await this.uploadPart(next, buffer));
          filled = 0;
        }
      }
    }
    // No byte came: the tail the document names stays as it is.
    if (received === 0) return { state, written: 0, error };
    // What arrived before a failure is kept too: the client resumes after it.
    if (filled > 0) {
      const rest = buffer.subarray(0, filled);
      if (offset + received === length || filled >= MIN_PART_BYTES) next.parts.push(await this.uploadPart(next, rest));
      else next.tail = await this.putTail(next.key, offset + received, rest);
    }
    return { state: next, written: received, error };
  }

  private async readTail(key: string, into: Buffer): Promise<number> {
    let filled = 0;
    for await (const chunk of (await this.objects.read(key)) as AsyncIterable<Buffer>) filled += chunk.copy(into, filled);
    return filled;
  }


  /** Named by the offset it ends at, so a refused request never overwrites the tail the document still names. */
  private async putTail(key: string, end: number, bytes: Buffer): Promise<{ key: string; size: number }> {
    const tailKey = `${S3_STAGING_PREFIX}${key}.${end}`;
    await this.call((client) => client.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(tailKey), Body: bytes, ContentLength: bytes.length }), { requestTimeout: CALL_TIMEOUT_MS }));
    return { key: tailKey, size: bytes.length };
  }

  private async uploadPart(state: S3State, bytes: Buffer): Promise<StagedPart> {
    const { bucket } = this.settings;
    const Key = this.objectKey(state.key);
    if (state.uploadId === undefined) {
      const created = await this.call((client) => client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }), { requestTimeout: CALL_TIMEOUT_MS }));
      if (created.UploadId === undefined) throw new Error('S3 store: CreateMultipartUpload returned no upload id');
      state.uploadId = created.UploadId;
    }
    const number = state.parts.length + 1;
    const { ETag } = await this.call((client) => client.send(
      new UploadPartCommand({ Bucket: bucket, Key, UploadId: state.uploadId, PartNumber: number, Body: bytes, ContentLength: bytes.length })),
    );
    if (ETag === undefined) throw new Error('S3 store: UploadPart returned no ETag');
    return { number, etag: ETag, size: bytes.length };
  }

  async release(superseded: Staging, current: Staging): Promise<void> {
    const [gone, kept] = [s3State(superseded), s3State(current)];
    if (gone.tail !== undefined && gone.tail.key !== kept.tail?.key) await this.objects.delete([gone.tail.key]);
    // A refused first part created a multipart upload the kept state does not know of.
    if (gone.uploadId !== undefined && kept.uploadId === undefined) await this.abort(gone.key, gone.uploadId);
  }

  async complete(state: Staging, length: number): Promise<void> {
    const staged = s3State(state);
    const { bucket } = this.settings;
    const Key = this.objectKey(staged.key);
    if (staged.parts.length === 0) {
      // Smaller than a part, or empty: one object, and no multipart upload is needed.
      const bytes = Buffer.alloc(staged.tail?.size ?? 0);
      if (staged.tail !== undefined) await this.readTail(staged.tail.key, bytes);
      await this.call((client) => client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: bytes, ContentLength: bytes.length }), { requestTimeout: CALL_TIMEOUT_MS }));
      await this.discard(staged);
      return;
    }
    try {
      await this.call((client) => client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key,
          UploadId: staged.uploadId,
          MultipartUpload: { Parts: staged.parts.map((part) => ({ PartNumber: part.number, ETag: part.etag })) },
        }),
      ));
    } catch (error) {
      // Completed by an earlier attempt that did not live to record it.
      if (nameOf(error) !== 'NoSuchUpload' || (await this.objects.stat(staged.key))?.size !== length) throw error;
    }
    if (staged.tail !== undefined) await this.objects.delete([staged.tail.key]);
  }

  async discard(state: Staging): Promise<void> {
    const staged = s3State(state);
    if (staged.uploadId !== undefined) await this.abort(staged.key, staged.uploadId);
    if (staged.tail !== undefined) await this.objects.delete([staged.tail.key]);
  }

  private async abort(key: string, uploadId: string): Promise<void> {
    try {
      await this.call((client) => client.send(new AbortMultipartUploadCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key), UploadId: uploadId }), { requestTimeout: CALL_TIMEOUT_MS }));
    } catch (error) {
      if (nameOf(error) !== 'NoSuchUpload') throw error;
    }
  }
}
