/**
 * File bytes in an S3-compatible bucket (AWS S3, MinIO, Ceph, versitygw...), through the AWS SDK v3.
 * Settings come in explicitly: this module reads no environment variable for configuration.
 */
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { v4 as uuidv4 } from 'uuid';
import type { S3Settings } from '../config';
import { HttpError, ServiceOutageError } from '../errors';
import {
  meter,
  MissingObjectError,
  STORE_MARKER_KEY,
  type ByteRange,
  type ByteStore,
  type ObjectEntry,
  type ObjectStat,
  type StoredBytes,
  type WriteOptions,
} from './byteStore';

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
/** An unreachable endpoint should become a 503 within a couple of seconds, not a hung request. */
const CONNECT_TIMEOUT_MS = 1_500;
/** Calls without a large body: time until the response headers arrive. */
const CALL_TIMEOUT_MS = 5_000;
/**
 * Upload calls that lib-storage sends (it passes no per-call options): a 5 MiB part must go out
 * and be answered within this, i.e. the link must carry at least ~175 KB/s.
 */
const UPLOAD_CALL_TIMEOUT_MS = 30_000;
const MAX_ATTEMPTS = 2;
const MAX_SOCKETS = 256;
const HEALTH_CHECK_MS = 5_000;
const DELETE_BATCH = 1000;
const SINGLE_DELETE_CONCURRENCY = 8;

/**
 * The SDK warns once per process on Node 20 (NodeVersionSupportWarning: releases after January
 * 2027 need Node 22). Node 20 is our supported floor and the version is pinned, so the warning is
 * noise in every log. AWS documents this variable as the way to turn it off (aws-sdk-js-v3 issue
 * #7983); it is read when a client is constructed (emitWarningIfUnsupportedVersion in
 * @aws-sdk/core), so it must be set before the first `new S3Client`. An operator who set it
 * explicitly keeps their value. (AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE is SDK v2's, and does nothing here.)
 */
export function quietSdkNodeVersionWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/** Errors that came out of a write's `source`: a client that went away is no storage outage, whatever its error code. */
const sourceErrors = new WeakSet<object>();

const OUTAGE_ERROR_NAMES = new Set([
  // The credentials or the bucket are wrong or gone: every request will fail the same way.
  'InvalidAccessKeyId',
  // versitygw's answer to an unknown access key ID (a 404, where AWS says 403 InvalidAccessKeyId).
  'XAdminUserNotFound',
  'SignatureDoesNotMatch',
  'NoSuchBucket',
  'AccessDenied',
  'Forbidden',
  'AllAccessDisabled',
  'AccountProblem',
  'InvalidToken',
  'ExpiredToken',
  'RequestTimeTooSkewed',
  'AuthorizationHeaderMalformed',
  'PermanentRedirect',
  'CredentialsProviderError',
  // The SDK's own connect and request timeouts.
  'TimeoutError',
]);

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

interface ErrorFields {
  name?: unknown;
  code?: unknown;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const fieldsOf = (error: unknown): ErrorFields | undefined =>
  typeof error === 'object' && error !== null ? error : undefined;

const statusOf = (error: unknown): number | undefined => fieldsOf(error)?.$metadata?.httpStatusCode;

const nameOf = (error: unknown): string | undefined => {
  const name = fieldsOf(error)?.name;
  return typeof name === 'string' ? name : undefined;
};

/**
 * True when the bucket is unreachable or refuses us (connection refused or timed out, 5xx, bad
 * credentials, missing bucket, access denied): the service should answer 503. False for a
 * missing object, our own 413, an error of the upload's source (the client went away), and
 * anything else, which is a bug or a bad request.
 */
export function isStorageOutage(error: unknown): boolean {
  for (let depth = 0, current = error; depth < 5 && current !== undefined; depth += 1) {
    const fields = fieldsOf(current);
    if (fields === undefined) return false;
    if (current instanceof ServiceOutageError) return true;
    if (current instanceof MissingObjectError || current instanceof HttpError || sourceErrors.has(fields)) return false;
    const name = nameOf(current);
    const status = statusOf(current);
    if (name !== undefined && OUTAGE_ERROR_NAMES.has(name)) return true;
    if (typeof fields.code === 'string' && (NETWORK_ERROR_CODES.has(fields.code) || OUTAGE_ERROR_NAMES.has(fields.code))) return true;
    if (status !== undefined && (status >= 500 || status === 401 || status === 403)) return true;
    current = fields.cause;
  }
  return false;
}

/**
 * By name, not by status: some servers answer other problems with 404 too (versitygw: an unknown
 * access key ID), and a missing bucket is a 404 as well. HEAD answers have no body, so the SDK
 * can only call them NotFound; see stat().
 */
const isMissingObject = (error: unknown): boolean => nameOf(error) === 'NoSuchKey' || nameOf(error) === 'NotFound';

/** The bucket has no bulk delete (some S3-compatible servers), or rejects the checksum the SDK sends with it. */
const bulkDeleteUnsupported = (error: unknown): boolean =>
  ['NotImplemented', 'MethodNotAllowed', 'MissingContentMD5'].includes(nameOf(error) ?? '') ||
  statusOf(error) === 501 ||
  statusOf(error) === 405;

/** One or more keys of a DeleteObjects batch failed; `name` is the first failure's S3 code, so isStorageOutage can judge it. */
class DeleteFailedError extends Error {}

async function mapLimit<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export class S3Store implements ByteStore {
  readonly driver = 's3' as const;
  private readonly client: S3Client;
  private closed = false;
  private bulkDelete = true;
  private available = true;
  private health: NodeJS.Timeout | undefined;

  constructor(private readonly settings: S3Settings) {
    if (settings.bucket === '') throw new Error('S3 store: the bucket name is empty');
    if ((settings.accessKeyId === undefined) !== (settings.secretAccessKey === undefined)) {
      throw new Error('S3 store: give both the access key ID and the secret access key, or neither');
    }
    quietSdkNodeVersionWarning();
    const config: S3ClientConfig = {
      region: settings.region,
      maxAttempts: MAX_ATTEMPTS,
      retryMode: 'standard',
      requestHandler: {
        // The SDK's agent allows 50 sockets; past them requests queue, and the wait counts against
        // connectionTimeout, so a burst (a big folder's delete, the backfill) would read as an outage.
        httpAgent: new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
        httpsAgent: new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
        connectionTimeout: CONNECT_TIMEOUT_MS,
        requestTimeout: UPLOAD_CALL_TIMEOUT_MS,
        // Without this the handler only logs a warning when requestTimeout passes, and waits on.
        throwOnRequestTimeout: true,
      },
      // Our settings are the whole configuration: the SDK would otherwise also take an endpoint
      // from AWS_ENDPOINT_URL_S3 or ~/.aws/config.
      ignoreConfiguredEndpointUrls: true,
      // Since 3.729 the SDK adds CRC32 checksums to every upload by default, which several
      // S3-compatible servers reject; our own SHA-256 is the integrity record.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    if (settings.endpoint !== undefined) {
      config.endpoint = settings.endpoint;
      config.forcePathStyle = true;
    }
    if (settings.accessKeyId !== undefined && settings.secretAccessKey !== undefined) {
      config.credentials = { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey };
    }
    this.client = new S3Client(config);
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
   * the API answers with 503, and what `/status` reports until a call or a health check succeeds.
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

  /** Between requests, so `/status` notices an outage, and a recovery, without waiting for a client. */
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
      throw new Error(this.describeSetupError(error), { cause: error });
    }
    this.watchHealth();
  }

  private describeSetupError(error: unknown): string {
    const name = nameOf(error) ?? 'Error';
    const code = fieldsOf(error)?.code;
    const detail = `${name}${typeof code === 'string' && code !== name ? ` ${code}` : ''}: ${(error as Error).message}`;
    switch (name) {
      case 'NoSuchBucket':
        return `S3 ${this.where()} does not exist (${detail})`;
      case 'InvalidAccessKeyId':
      case 'XAdminUserNotFound':
        return `S3 ${this.where()}: the access key ID is not known there; check the credentials (${detail})`;
      case 'SignatureDoesNotMatch':
        return `S3 ${this.where()}: the secret access key is wrong for this access key ID (${detail})`;
      case 'AccessDenied':
      case 'Forbidden':
      case 'AllAccessDisabled':
        return `S3 ${this.where()}: the credentials are not allowed to list it (${detail})`;
      case 'PermanentRedirect':
      case 'AuthorizationHeaderMalformed':
        return `S3 ${this.where()}: the bucket is in another region (${detail})`;
      case 'CredentialsProviderError':
        return `S3 ${this.where()}: no credentials were given and the SDK found none (${detail})`;
      case 'TimeoutError':
        return `S3 ${this.where()}: the endpoint did not answer in time (${detail})`;
      default:
        if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return `S3 ${this.where()}: the endpoint is unreachable (${detail})`;
        return `S3 ${this.where()} is not usable (${detail})`;
    }
  }

  private async writeObject(key: string, source: Readable, options: WriteOptions): Promise<StoredBytes> {
    const client = this.live();
    const objectKey = this.objectKey(key);
    const counted = meter(options.maxBytes);
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
      sourceErrors.add(reason);
      fail(reason);
    };
    const onSourceClose = () => {
      if (source.readableEnded) return;
      const error = Object.assign(new Error('The upload source closed before it ended'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
      sourceErrors.add(error);
      fail(error);
    };
    source.on('error', onSourceError);
    source.on('close', onSourceClose);
    if (source.errored !== null) onSourceError(source.errored);
    else if (source.destroyed) onSourceClose();
    else source.pipe(counter);

    const upload = new Upload({
      client,
      params: { Bucket: this.settings.bucket, Key: objectKey, Body: counter },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      // lib-storage has tried to abort already; if that call failed the upload would linger, and
      // aborting twice is harmless (the second answers NoSuchUpload).
      if (upload.uploadId !== undefined) await this.abortMultipart(objectKey, upload.uploadId);
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
      await this.deleteObjects([key]).catch(() => undefined);
      throw failure;
    }
    return counted.result();
  }

  private async abortMultipart(objectKey: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.settings.bucket, Key: objectKey, UploadId: uploadId }),
        { requestTimeout: CALL_TIMEOUT_MS },
      );
    } catch {
      // NoSuchUpload: already aborted. Anything else: the bucket is failing, and the error that
      // ended the upload is the one to report; a lifecycle rule for incomplete uploads is the backstop.
    }
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
        if (object.Key === prefix + STORE_MARKER_KEY) continue;
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
