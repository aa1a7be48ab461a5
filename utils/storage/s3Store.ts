/**
 * File bytes in an S3-compatible bucket (AWS S3, MinIO, Ceph, versitygw...), through the AWS SDK v3.
 * Settings come in explicitly: this module reads no environment variable for configuration.
 */
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { v4 as uuidv4 } from 'uuid';
import type { S3Settings } from '../config';
import { mapLimit } from '../concurrency';
import { ServiceOutageError } from '../errors';
import {
  MissingObjectError,
  STORE_MARKER_KEY,
  type ByteRange,
  type ByteStore,
  type ObjectEntry,
  type ObjectStat,
  type StoredBytes,
  type WriteOptions,
} from './byteStore';
import { CALL_TIMEOUT_MS, createS3Client } from './s3Client';
import { bulkDeleteUnsupported, DeleteFailedError, describeSetupError, isMissingObject, isStorageOutage } from './s3Errors';
import { S3_STAGING_PREFIX, S3Staging } from './s3Staging';
import { uploadObject } from './s3Upload';

const HEALTH_CHECK_MS = 5_000;
const DELETE_BATCH = 1000;
const SINGLE_DELETE_CONCURRENCY = 8;

export class S3Store implements ByteStore {
  readonly driver = 's3' as const;
  private readonly client: S3Client;
  private closed = false;
  private bulkDelete = true;
  private available = true;
  private health: NodeJS.Timeout | undefined;
  /** Resumable uploads in progress, as multipart uploads of the bucket. */
  readonly staging: S3Staging;

  constructor(private readonly settings: S3Settings) {
    this.client = createS3Client(settings);
    this.staging = new S3Staging(this, () => this.live(), settings, (call) => this.tracked(call));
  }

  private objectKey(key: string): string {
    if (key === '') throw new Error('S3 store: empty object key');
    return this.settings.prefix + key;
  }

  private live(): S3Client {
    if (this.closed) throw new Error('S3 store is closed');
    return this.client;
  }

  private where(): string {
    return `bucket "${this.settings.bucket}" at ${this.settings.endpoint ?? `AWS S3 (${this.settings.region})`}`;
  }

  get location(): string {
    return `the prefix "${this.settings.prefix}" of the ${this.where()}`;
  }

  newKey(): string {
    return uuidv4();
  }

  write(key: string, source: Readable, options: WriteOptions): Promise<StoredBytes> {
    return this.tracked(() => this.writeObject(key, source, options));
  }

  read(key: string, range?: ByteRange): Promise<Readable> {
    return this.tracked(() => this.readObject(key, range));
  }

  stat(key: string): Promise<ObjectStat | null> {
    return this.tracked(() => this.statObject(key));
  }

  delete(keys: readonly string[]): Promise<void> {
    return this.tracked(() => this.deleteObjects(keys));
  }

  async *list(): AsyncIterable<ObjectEntry> {
    const pages = this.listObjects()[Symbol.asyncIterator]();
    for (;;) {
      const page = await this.tracked(() => pages.next());
      if (page.done === true) return;
      yield page.value;
    }
  }

  async pendingWrites(): Promise<string[]> {
    const { bucket, prefix } = this.settings;
    const keys: string[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await this.tracked(() =>
        this.live().send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }), {
          requestTimeout: CALL_TIMEOUT_MS,
        }),
      );
      keys.push(...(page.Uploads ?? []).map((upload) => (upload.Key ?? '').slice(prefix.length)));
      [keyMarker, uploadIdMarker] = page.IsTruncated === true ? [page.NextKeyMarker, page.NextUploadIdMarker] : [undefined, undefined];
    } while (keyMarker !== undefined);
    return keys.sort();
  }

  pathOnDisk(): undefined {
    return undefined;
  }

  isAvailable(): boolean {
    return this.available;
  }

  /**
   * Every call says whether the bucket answered; an outage becomes a ServiceOutageError, which
   * the API answers with 503, and what `/health` reports until a call or a health check succeeds.
   */
  private async tracked<T>(call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      this.available = true;
      return result;
    } catch (error) {
      if (!isStorageOutage(error)) throw error;
      this.available = false;
      throw error instanceof ServiceOutageError ? error : new ServiceOutageError(`S3 ${this.where()} is unavailable: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Between requests, so `/health` notices an outage, and a recovery, without waiting for a client. */
  private watchHealth(): void {
    if (this.health !== undefined) return;
    this.health = setInterval(() => {
      this.tracked(() => this.probe()).catch(() => undefined);
    }, HEALTH_CHECK_MS);
    this.health.unref();
  }

  private async probe(): Promise<void> {
    await this.live().send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: this.settings.prefix, MaxKeys: 1 }), {
      requestTimeout: CALL_TIMEOUT_MS,
    });
  }

  async prepare(): Promise<void> {
    try {
      // A one-key listing, not HeadBucket: its error body names the problem (HEAD answers carry only a status),
      // and listing is what the consistency checker will need.
      await this.probe();
    } catch (error) {
      throw new Error(describeSetupError(this.where(), error), { cause: error });
    }
    this.watchHealth();
  }

  private writeObject(key: string, source: Readable, options: WriteOptions): Promise<StoredBytes> {
    return uploadObject(this.live(), { Bucket: this.settings.bucket, Key: this.objectKey(key) }, source, options);
  }

  private async readObject(key: string, range?: ByteRange): Promise<Readable> {
    if (range !== undefined) {
      const { start, end } = range;
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
        throw new RangeError(`S3 store: invalid byte range ${start}-${end}`);
      }
    }
    try {
      const response = await this.live().send(
        new GetObjectCommand({
          Bucket: this.settings.bucket,
          Key: this.objectKey(key),
          Range: range === undefined ? undefined : `bytes=${range.start}-${range.end}`,
        }),
        // Until the headers: the body then streams at the reader's pace, with no deadline.
        { requestTimeout: CALL_TIMEOUT_MS },
      );
      if (!(response.Body instanceof Readable)) throw new Error('S3 store: GetObject returned no Node.js stream');
      return response.Body;
    } catch (error) {
      if (isMissingObject(error)) throw new MissingObjectError(`No object ${JSON.stringify(key)}`, { cause: error });
      throw error;
    }
  }

  private async statObject(key: string): Promise<ObjectStat | null> {
    try {
      const head = await this.live().send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) }), {
        requestTimeout: CALL_TIMEOUT_MS,
      });
      return { size: head.ContentLength ?? 0, modified: head.LastModified ?? new Date(0) };
    } catch (error) {
      if (!isMissingObject(error)) throw error;
      // A HEAD 404 has no body, so a missing bucket or (on versitygw) an unknown access key looks
      // just like a missing object. Ask a question whose answer has a body before a sweep
      // concludes that every object is gone.
      await this.live().send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: this.settings.prefix, MaxKeys: 1 }), {
        requestTimeout: CALL_TIMEOUT_MS,
      });
      return null;
    }
  }

  private async deleteObjects(keys: readonly string[]): Promise<void> {
    const objectKeys = keys.map((key) => this.objectKey(key));
    for (let start = 0; start < objectKeys.length; start += DELETE_BATCH) {
      const batch = objectKeys.slice(start, start + DELETE_BATCH);
      if (this.bulkDelete) {
        try {
          await this.deleteBatch(batch);
          continue;
        } catch (error) {
          if (!bulkDeleteUnsupported(error)) throw error;
          this.bulkDelete = false;
        }
      }
      await mapLimit(batch, SINGLE_DELETE_CONCURRENCY, (objectKey) => this.deleteOne(objectKey));
    }
  }

  private async deleteBatch(objectKeys: string[]): Promise<void> {
    const result = await this.live().send(
      new DeleteObjectsCommand({
        Bucket: this.settings.bucket,
        Delete: { Objects: objectKeys.map((Key) => ({ Key })), Quiet: true },
      }),
      { requestTimeout: CALL_TIMEOUT_MS },
    );
    const failed = (result.Errors ?? []).filter((entry) => entry.Code !== 'NoSuchKey');
    const first = failed[0];
    if (first !== undefined) {
      const error = new DeleteFailedError(
        `S3 could not delete ${failed.length} of ${objectKeys.length} objects; first ${JSON.stringify(first.Key)}: ${first.Code}: ${first.Message}`,
      );
      error.name = first.Code ?? 'DeleteFailed';
      throw error;
    }
  }

  private async deleteOne(objectKey: string): Promise<void> {
    try {
      await this.live().send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: objectKey }), {
        requestTimeout: CALL_TIMEOUT_MS,
      });
    } catch (error) {
      if (!isMissingObject(error)) throw error;
    }
  }

  private async *listObjects(): AsyncIterable<ObjectEntry> {
    const { bucket, prefix } = this.settings;
    let token: string | undefined;
    do {
      const page = await this.live().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }), {
        requestTimeout: CALL_TIMEOUT_MS,
      });
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || !object.Key.startsWith(prefix) || object.Key.length === prefix.length) continue;
        if (object.Key === prefix + STORE_MARKER_KEY || object.Key.startsWith(prefix + S3_STAGING_PREFIX)) continue;
        yield { key: object.Key.slice(prefix.length), size: object.Size ?? 0, modified: object.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  close(): Promise<void> {
    clearInterval(this.health);
    if (!this.closed) {
      this.closed = true;
      this.client.destroy();
    }
    return Promise.resolve();
  }
}
