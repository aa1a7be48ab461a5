import path from 'node:path';
import contentDisposition from 'content-disposition';
import type { NextFunction, Response } from 'express';
import mime from 'mime-types';
import type { FileDoc } from '../utils/db';

/** How long shared caches may keep a public file; short, because unpublishing must take effect. */
export const PUBLIC_MAX_AGE_SECONDS = 60;

/** Types a browser would run as a page or script if opened inline. */
const ACTIVE_CONTENT = /html|xml|javascript|ecmascript/i;

/** Headers that describe the file, dropped when an error is sent instead of it. */
const FILE_HEADERS = ['Content-Type', 'Content-Disposition', 'ETag', 'Last-Modified'] as const;

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

/**
 * Streams `filePath` with HTTP semantics (HEAD, Range, conditional requests) from `send`.
 * User content is inert: nosniff and a sandbox CSP, and active types only as attachments,
 * so an uploaded page can never run as the API's origin.
 */
export function sendContent(res: Response, next: NextFunction, file: FileDoc, filePath: string, isThumbnail: boolean): void {
  const type = contentTypeFor(file.name);
  res.set({
    'Content-Type': type,
    'Content-Disposition': contentDisposition(file.name, {
      type: ACTIVE_CONTENT.test(type) ? 'attachment' : 'inline',
      fallback: asciiFallback(file.name),
    }),
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "sandbox; default-src 'none'",
    'Cache-Control': file.isPublic === true ? `public, max-age=${PUBLIC_MAX_AGE_SECONDS}` : 'private, no-cache',
  });
  // The stored SHA-256 identifies the original's bytes exactly; thumbnails fall back to send's stat-based tag.
  const strongTag = !isThumbnail && file.sha256 !== undefined;
  if (strongTag) res.set('ETag', `"${file.sha256}"`);
  res.sendFile(
    path.resolve(filePath),
    { dotfiles: 'allow', etag: !strongTag, cacheControl: false, lastModified: true, acceptRanges: true },
    (error?: Error) => {
      if (error === undefined) return;
      // The error body is JSON about the request, not the file: it must not be saved under the
      // file's name, validated against its tag, or kept by a shared cache (a thumbnail still to come).
      if (!res.headersSent) {
        for (const header of FILE_HEADERS) res.removeHeader(header);
        res.set('Cache-Control', 'no-store');
      }
      next(error);
    },
  );
}
