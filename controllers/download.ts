import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import contentDisposition from 'content-disposition';
import type { Request, Response } from 'express';
import mime from 'mime-types';
import { notFound, preconditionFailed, rangeNotSatisfiable } from '../utils/errors';
import { MissingObjectError } from '../utils/storage/byteStore';
import type { ReadableContent } from '../utils/files/content';
import type { Disposition } from '../utils/files/signedUrls';
import { log } from '../utils/log';
import { evaluatePreconditions, selectRange, type Validators } from './conditional';
import { loggedPath } from './request';

/** How long shared caches may keep a public file; short, because unpublishing must take effect. */
export const PUBLIC_MAX_AGE_SECONDS = 60;
/** Kept by the browser only, and asked again each time: what may stop being readable at any moment. */
export const REVALIDATE = 'private, no-cache';

/** Types a browser would run as a page or script if opened inline. */
const ACTIVE_CONTENT = /html|xml|javascript|ecmascript/i;

/**
 * The `filename=` for clients that ignore `filename*`: ASCII only, since header bytes beyond it
 * are read differently by different clients. Accents are dropped, anything else becomes '?'.
 */
function asciiFallback(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '?');
}

export function contentTypeFor(name: string): string {
  const type = mime.lookup(name);
  return (type && mime.contentType(type)) || 'application/octet-stream';
}

interface Representation extends Validators {
  size: number;
}

/**
 * Size and validators, the same on every driver: the stored SHA-256 and upload time where the
 * document has them, the stored object's otherwise (documents imported without them).
 * A thumbnail's tag is weak: it is derived from its original, not hashed itself.
 */
async function describe({ file, blob, width }: ReadableContent): Promise<Representation> {
  const { size, sha256, createdAt } = file;
  if (width === undefined && size !== undefined && sha256 !== undefined && createdAt !== undefined) {
    return { size, etag: `"${sha256}"`, lastModified: createdAt };
  }
  const stat = await blob.store.stat(blob.key);
  if (stat === null) throw notFound();
  const etag =
    sha256 === undefined
      ? `W/"${stat.size.toString(16)}-${stat.modified.getTime().toString(16)}"`
      : width === undefined
        ? `"${sha256}"`
        : `W/"${sha256}-${width}"`;
  return { size: stat.size, etag, lastModified: createdAt ?? stat.modified };
}

/** What a route other than `GET /files/:id/data` changes in how content goes out. */
export interface Delivery {
  /** attachment: browsers save it; never inline for a type that could run (ACTIVE_CONTENT). */
  disposition?: Disposition;
  cacheControl?: string;
  /** Called when the bytes are about to go, with the first byte sent: after 304, 412 and 416 are ruled out. */
  beforeBody?: (firstByte: number) => Promise<void>;
}

/**
 * Serves content with HTTP semantics: HEAD, one Range, conditional requests, validators.
 * User content is inert: nosniff and a sandbox CSP, and active types only as attachments
 * (whatever a delivery asks), so an uploaded page can never run as the API's origin.
 * A public file may sit in shared caches briefly; anything else is revalidated each time.
 */
export async function sendContent(req: Request, res: Response, content: ReadableContent, delivery: Delivery = {}): Promise<void> {
  const { file, blob } = content;
  const representation = await describe(content);
  res.set({
    ETag: representation.etag,
    'Last-Modified': representation.lastModified.toUTCString(),
    'Cache-Control': delivery.cacheControl ?? (file.isPublic === true ? `public, max-age=${PUBLIC_MAX_AGE_SECONDS}` : REVALIDATE),
  });
  const precondition = evaluatePreconditions(req.method, req.headers, representation);
  if (precondition === 'failed') throw preconditionFailed();
  if (precondition === 'not-modified') {
    res.status(304).end();
    return;
  }
  const range = selectRange(req.headers, representation.size, representation);
  if (range === 'unsatisfiable') throw rangeNotSatisfiable(representation.size);

  if (req.method !== 'HEAD') await delivery.beforeBody?.(range?.start ?? 0);

  let body: Readable | undefined;
  try {
    // HEAD reads nothing, but still learns whether the bytes are there.
    if (req.method === 'HEAD') {
      if ((await blob.store.stat(blob.key)) === null) throw new MissingObjectError(blob.key);
    } else {
      body = await blob.store.read(blob.key, range);
    }
  } catch (error) {
    if (error instanceof MissingObjectError) throw notFound();
    throw error;
  }

  const type = contentTypeFor(file.name);
  res.status(range === undefined ? 200 : 206).set({
    'Content-Type': type,
    'Content-Length': String(range === undefined ? representation.size : range.end - range.start + 1),
    'Accept-Ranges': 'bytes',
    'Content-Disposition': contentDisposition(file.name, {
      type: ACTIVE_CONTENT.test(type) || delivery.disposition === 'attachment' ? 'attachment' : 'inline',
      fallback: asciiFallback(file.name),
    }),
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "sandbox; default-src 'none'",
  });
  if (range !== undefined) res.set('Content-Range', `bytes ${range.start}-${range.end}/${representation.size}`);
  if (body === undefined) {
    res.end();
    return;
  }
  const length = range === undefined ? representation.size : range.end - range.start + 1;
  let sent = 0;
  body.on('data', (chunk: Buffer) => {
    sent += chunk.length;
  });
  try {
    await pipeline(body, res);
  } catch (error) {
    // A client that goes away mid-download is routine: one line, no stack. One that closes as soon
    // as it has every byte (curl does), before the source has even said it ended, went nowhere at all.
    if (res.destroyed) {
      if (sent < length) log.info(`${req.method} ${loggedPath(req)}: the client went away after ${sent} of ${length} bytes`);
      return;
    }
    throw error;
  }
}
