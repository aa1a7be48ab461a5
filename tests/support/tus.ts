import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import * as tus from 'tus-js-client';
import type { Config } from '../../utils/config';
import { createS3Client } from '../../utils/storage/s3Client';

/**
 * Resumable uploads (tus 1.0 at /uploads) as clients make them: raw requests for the protocol's
 * details, tus-js-client for whole uploads, and a look at where unfinished uploads keep their
 * bytes (FOLDER_PATH/.uploads, or the bucket's `.uploads/` prefix and its multipart uploads).
 */

export const TUS_VERSION = '1.0.0';
export const MIB = 1024 * 1024;
/** An upload's id, in its URL. */
export const UPLOAD_ID = /^[0-9a-f]{32}$/;
export const FILE_ID = /^[0-9a-f]{24}$/;

export interface TusReply {
  method: string;
  url: string;
  status: number;
  headers: Headers;
  text: string;
  bytes: Buffer;
  elapsedMs: number;
}

export interface TusRequestOptions {
  token?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Sends Tus-Resumable: 1.0.0 unless false. */
  tusResumable?: boolean;
}

/**
 * One request to `url` with fetch, as a browser's or Node's own client sends it. Every answer of
 * /uploads must carry Tus-Resumable: 1.0.0, errors included, and that is checked on each.
 */
export async function tusRequest(method: string, url: string, options: TusRequestOptions = {}): Promise<TusReply> {
  const headers: Record<string, string> = {};
  if (options.tusResumable !== false) headers['Tus-Resumable'] = TUS_VERSION;
  if (options.token !== undefined) headers['X-Token'] = options.token;
  Object.assign(headers, options.headers);
  const started = Date.now();
  const response = await fetch(url, { method, headers, body: options.body });
  const bytes = Buffer.from(await response.arrayBuffer());
  const reply = { method, url, status: response.status, headers: response.headers, text: bytes.toString('utf8'), bytes, elapsedMs: Date.now() - started };
  expect(reply.headers.get('tus-resumable'), `Tus-Resumable on ${method} ${url} → ${reply.status}`).to.equal(TUS_VERSION);
  return reply;
}

/** Asserts a tus answer is `status` with exactly `{"error": message}` (HEAD: the status, and no body). */
export function expectTusError(reply: TusReply, status: number, message: string): void {
  const expected = JSON.stringify({ error: message });
  const body = reply.method === 'HEAD' ? reply.bytes.length === 0 : reply.text === expected;
  if (reply.status !== status || !body) {
    throw new Error(`${reply.method} ${reply.url}: expected ${status} ${reply.method === 'HEAD' ? '(no body)' : expected}, got ${reply.status} ${reply.text}`);
  }
}

/** Upload-Metadata: `key base64(value)` pairs, comma separated. */
export function encodeMetadata(metadata: Record<string, string>): string {
  return Object.entries(metadata)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',');
}

/** Every upload created through these helpers, with its owner's token, so a suite can delete what a test left unfinished. */
export const createdUploads: { url: string; token: string }[] = [];

export interface CreatedUpload {
  reply: TusReply;
  url: string;
  id: string;
}

/** POST /uploads; throws unless 201 with a Location. With `body`, creation-with-upload. */
export async function createUpload(
  baseUrl: string,
  token: string,
  length: number,
  metadata: Record<string, string> = { name: 'upload.bin', type: 'file' },
  body?: Buffer,
): Promise<CreatedUpload> {
  const headers: Record<string, string> = { 'Upload-Length': String(length), 'Upload-Metadata': encodeMetadata(metadata) };
  if (body !== undefined) headers['Content-Type'] = 'application/offset+octet-stream';
  const reply = await tusRequest('POST', `${baseUrl}/uploads`, { token, headers, body });
  if (reply.status !== 201) throw new Error(`creating an upload failed: ${reply.status} ${reply.text}`);
  const url = reply.headers.get('location');
  if (url === null) throw new Error('201 without a Location');
  createdUploads.push({ url, token });
  return { reply, url, id: url.slice(url.lastIndexOf('/') + 1) };
}

/** PATCH `bytes` at `offset`, with the right content type. */
export function patchUpload(url: string, token: string, offset: number, bytes: Buffer, headers: Record<string, string> = {}): Promise<TusReply> {
  return tusRequest('PATCH', url, {
    token,
    headers: { 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': String(offset), ...headers },
    body: bytes,
  });
}

export function headUpload(url: string, token: string): Promise<TusReply> {
  return tusRequest('HEAD', url, { token });
}

/** The offset HEAD reports; throws unless 200. */
export async function offsetOf(url: string, token: string): Promise<number> {
  const reply = await headUpload(url, token);
  if (reply.status !== 200) throw new Error(`HEAD ${url}: ${reply.status}`);
  return Number(reply.headers.get('upload-offset'));
}

/** Upload-Expires as a time, and that it is an HTTP date. */
export function expiresAt(reply: TusReply): number {
  const header = reply.headers.get('upload-expires');
  expect(header, 'Upload-Expires').to.be.a('string');
  expect(header, 'Upload-Expires is an HTTP date').to.match(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  return Date.parse(header as string);
}

export interface TusOutcome {
  /** The upload's URL, once created. */
  url: string;
  /** File-Id of the answer that completed it; undefined when stopped early. */
  fileId?: string;
  /** The size of each chunk the server accepted, in order. */
  chunks: number[];
  /** Status of every response, in order. */
  statuses: number[];
}

export interface TusRun {
  upload: tus.Upload;
  outcome: Promise<TusOutcome>;
}

/**
 * An upload of `content` with tus-js-client, not started yet. It stops itself (abort()) once `stopAfter`
 * bytes are accepted, if given. No retries unless `options.retryDelays` asks for them, so a
 * server's error fails the test. Every response must carry Tus-Resumable.
 */
export function prepareTus(content: Buffer, options: tus.UploadOptions, stopAfter?: number): TusRun {
  const chunks: number[] = [];
  const statuses: number[] = [];
  const missingHeader: string[] = [];
  let settle: { resolve: (outcome: TusOutcome) => void; reject: (error: Error) => void } | undefined;
  const outcome = new Promise<TusOutcome>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const finish = (fileId?: string): void => {
    if (missingHeader.length > 0) settle?.reject(new Error(`responses without Tus-Resumable: ${missingHeader.join(', ')}`));
    else settle?.resolve({ url: upload.url ?? '', fileId, chunks, statuses });
  };
  const upload: tus.Upload = new tus.Upload(content, {
    retryDelays: null,
    ...options,
    onAfterResponse: async (request, response) => {
      statuses.push(response.getStatus());
      const location = response.getHeader('Location');
      if (request.getMethod() === 'POST' && response.getStatus() === 201 && location !== undefined) {
        createdUploads.push({ url: new URL(location, request.getURL()).href, token: options.headers?.['X-Token'] ?? '' });
      }
      if (response.getHeader('Tus-Resumable') !== TUS_VERSION) missingHeader.push(`${request.getMethod()} ${request.getURL()} → ${response.getStatus()}`);
      await options.onAfterResponse?.(request, response);
    },
    onChunkComplete: (chunkSize, accepted, total) => {
      chunks.push(chunkSize);
      options.onChunkComplete?.(chunkSize, accepted, total);
      if (stopAfter !== undefined && accepted >= stopAfter && accepted < total) {
        upload.abort().then(
          () => finish(),
          (error: Error) => settle?.reject(error),
        );
      }
    },
    onSuccess: (payload) => {
      const fileId = payload.lastResponse.getHeader('File-Id');
      if (fileId === undefined) settle?.reject(new Error(`the last answer (${payload.lastResponse.getStatus()}) has no File-Id`));
      else finish(fileId);
    },
    onError: (error) => settle?.reject(error),
  });
  // A test that fails before awaiting it must not leave an unhandled rejection behind.
  outcome.catch(() => undefined);
  return { upload, outcome };
}

/** prepareTus, started. */
export function startTus(content: Buffer, options: tus.UploadOptions, stopAfter?: number): TusRun {
  const run = prepareTus(content, options, stopAfter);
  run.upload.start();
  return run;
}

/** A whole upload with tus-js-client; resolves with its outcome. */
export function tusUpload(content: Buffer, options: tus.UploadOptions, stopAfter?: number): Promise<TusOutcome> {
  return startTus(content, options, stopAfter).outcome;
}

/** tus-js-client's URL storage, in memory, so findPreviousUploads() works in Node as in a browser's localStorage. */
export class MemoryUrlStorage {
  private readonly uploads = new Map<string, tus.PreviousUpload & { fingerprint: string }>();
  private next = 0;

  findAllUploads(): Promise<tus.PreviousUpload[]> {
    return Promise.resolve([...this.uploads.values()]);
  }

  findUploadsByFingerprint(fingerprint: string): Promise<tus.PreviousUpload[]> {
    return Promise.resolve([...this.uploads.values()].filter((upload) => upload.fingerprint === fingerprint));
  }

  removeUpload(key: string): Promise<void> {
    this.uploads.delete(key);
    return Promise.resolve();
  }

  addUpload(fingerprint: string, upload: tus.PreviousUpload): Promise<string> {
    this.next += 1;
    const key = `tus::${fingerprint}::${this.next}`;
    this.uploads.set(key, { ...upload, urlStorageKey: key, fingerprint });
    return Promise.resolve(key);
  }
}

/** Where unfinished uploads of a deployment keep their bytes. */
export type StagingSettings = Pick<Config, 'folderPath' | 'storage'>;

const clients = new Map<string, S3Client>();

function clientFor(settings: StagingSettings): S3Client | undefined {
  if (settings.storage.driver !== 's3') return undefined;
  const key = JSON.stringify(settings.storage.s3);
  let client = clients.get(key);
  if (client === undefined) {
    client = createS3Client(settings.storage.s3);
    clients.set(key, client);
  }
  return client;
}

export function closeStagingClients(): void {
  for (const client of clients.values()) client.destroy();
  clients.clear();
}

async function filesUnder(folder: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const found: string[] = [];
  for (const entry of entries) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) found.push(...(await filesUnder(full)));
    else found.push(full);
  }
  return found;
}

/**
 * Every place unfinished uploads hold bytes, with sizes: files under FOLDER_PATH/.uploads; or the
 * bucket's objects under `<prefix>.uploads/` and every multipart upload under the prefix.
 */
export async function stagedBytes(settings: StagingSettings): Promise<string[]> {
  const client = clientFor(settings);
  if (client === undefined || settings.storage.driver !== 's3') {
    const staging = path.join(settings.folderPath, '.uploads');
    const files = await filesUnder(staging);
    const sized = await Promise.all(files.map(async (file) => `file ${path.relative(settings.folderPath, file)} ${(await stat(file)).size}`));
    return sized.sort();
  }
  const { bucket, prefix } = settings.storage.s3;
  const found: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}.uploads/`, ContinuationToken: token }));
    for (const object of page.Contents ?? []) found.push(`object ${object.Key ?? ''} ${object.Size ?? 0}`);
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  do {
    const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
    for (const upload of page.Uploads ?? []) found.push(`multipart ${upload.Key ?? ''}`);
    [keyMarker, uploadIdMarker] = page.IsTruncated === true ? [page.NextKeyMarker, page.NextUploadIdMarker] : [undefined, undefined];
  } while (keyMarker !== undefined);
  return found.sort();
}

/** What `after` holds that `before` did not. */
export function added(before: readonly string[], after: readonly string[]): string[] {
  return after.filter((entry) => !before.includes(entry));
}
