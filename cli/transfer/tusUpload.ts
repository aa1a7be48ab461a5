/**
 * One file through the service's resumable uploads (tus 1.0 at /uploads) with tus-js-client:
 * its address is kept (urlStore.ts) under a fingerprint of the file and where it goes, so the same
 * command run again after an interruption asks the server how much it has and sends the rest.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import * as tus from 'tus-js-client';
import { type Api, serviceMessage } from '../api';
import { ApiError, CliError, QUOTA_EXCEEDED } from '../errors';
import type { LocalFile } from './localTree';
import type { FileProgress } from './progress';
import type { UrlStore } from './urlStore';

/**
 * Proxies in front of an API often cap a body at 100 MB: chunks of half that stay clear of such a
 * cap (as the web app's do) and bound what one failed request sends again.
 */
const CHUNK_SIZE = 50 * 1024 * 1024;

/** About half a minute of patience per file for a network or a server that comes back. */
const RETRY_DELAYS_MS = [0, 1_000, 3_000, 5_000, 10_000, 15_000];

/** The extensions the web app sends as images (thumbnails are made of them); anything else is a file. */
const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.gif', '.webp', '.avif', '.tif', '.tiff']);

export function uploadType(name: string): 'image' | 'file' {
  return IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase()) ? 'image' : 'file';
}

export interface Destination {
  parentId: string;
  isPublic: boolean;
}

/** What identifies one upload of one file to one place, for resuming it: the path, size and modification time stand in for the content. */
export function fingerprintOf(api: Api, file: LocalFile, destination: Destination): string {
  return ['files-manager', api.baseUrl, api.session?.email ?? '', destination.parentId, file.path, file.size, Math.round(file.mtimeMs)]
    .map((part) => encodeURIComponent(String(part)))
    .join('/');
}

/**
 * No answer at all, a server error (but a full quota, which waiting does not change), or one of
 * the two conflicts that clear up by themselves: 409 (the offset moved; the next attempt asks the
 * server for it) and 423 (a request this run or an interrupted one still holds the upload).
 */
function worthRetrying(error: tus.DetailedError): boolean {
  const status = error.originalResponse?.getStatus() ?? 0;
  return status === 0 || (status >= 500 && status !== QUOTA_EXCEEDED) || status === 409 || status === 423;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function uploadError(api: Api, error: Error): CliError {
  if (!(error instanceof tus.DetailedError)) return new CliError(error.message);
  const response = error.originalResponse;
  const status = response?.getStatus() ?? 0;
  if (response === null || status === 0) return api.unreachable(error.causingError?.message);
  return api.errorFor(status, serviceMessage(parseJson(response.getBody()), { status, statusText: '' }));
}

/**
 * A refusal that trying again cannot change (a folder gone, a file too large): the upload is
 * deleted and its address forgotten. An ended session and the conflicts keep it for a later run.
 */
function isDeadEnd(error: CliError): boolean {
  return error instanceof ApiError && error.status >= 400 && error.status < 500 && ![401, 409, 423].includes(error.status);
}

export interface Sent {
  fileId: string;
  /** The bytes the server already had from an earlier run. */
  resumedFrom: number;
}

export async function sendFile(api: Api, file: LocalFile, destination: Destination, store: UrlStore, progress: FileProgress): Promise<Sent> {
  const token = api.session?.token ?? '';
  const source = createReadStream(file.path);
  let resumedFrom = 0;
  try {
    return await new Promise<Sent>((resolve, reject) => {
      // In Node, tus-js-client reads each chunk from the path of an fs.ReadStream (lib/node/fileReader.js).
      const upload = new tus.Upload(source, {
        endpoint: `${api.baseUrl}/uploads`,
        headers: { 'X-Token': token },
        metadata: { name: file.name, type: uploadType(file.name), parentId: destination.parentId, ...(destination.isPublic ? { isPublic: 'true' } : {}) },
        chunkSize: CHUNK_SIZE,
        retryDelays: RETRY_DELAYS_MS,
        urlStorage: store,
        fingerprint: () => Promise.resolve(fingerprintOf(api, file, destination)),
        // A finished upload is a file: the same command again finds it by its SHA-256 instead.
        removeFingerprintOnSuccess: true,
        onShouldRetry: worthRetrying,
        onProgress: (sent) => progress.moveTo(sent),
        onAfterResponse: (request, response) => {
          // tus-js-client asks for the offset (HEAD) only when it carries on an upload it already has.
          if (request.getMethod() !== 'HEAD' || response.getStatus() !== 200) return;
          const offset = Number.parseInt(response.getHeader('Upload-Offset') ?? '', 10);
          if (Number.isSafeInteger(offset) && offset > 0) {
            resumedFrom = offset;
            progress.resumedFrom(offset);
          }
        },
        onSuccess: ({ lastResponse }) => {
          const fileId = lastResponse.getHeader('File-Id');
          if (fileId === undefined || fileId === '') reject(new CliError(`${file.path}: the server finished the upload without naming the file`));
          else resolve({ fileId, resumedFrom });
        },
        onError: (error) => {
          const failure = uploadError(api, error);
          if (isDeadEnd(failure)) upload.abort(true).catch(() => undefined);
          reject(failure);
        },
      });
      upload
        .findPreviousUploads()
        .then((previous) => {
          const newest = previous.filter((entry) => entry.uploadUrl !== null).sort((a, b) => Date.parse(b.creationTime) - Date.parse(a.creationTime))[0];
          if (newest !== undefined) upload.resumeFromPreviousUpload(newest);
          upload.start();
        })
        .catch(reject);
    });
  } finally {
    source.destroy();
  }
}
