import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { unsupportedMediaType } from '../../errors';

/** How a request body is written on the wire, undone the way express.json would; anything else is 415. */

/** JSON is UTF-8 (RFC 8259): a body that says it is in another charset is refused, not guessed at. */
export function assertUtf8(headers: IncomingHttpHeaders): void {
  const charset = /charset=([^;\s]+)/i.exec(headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') throw unsupportedMediaType();
}

/** The body with its Content-Encoding undone. */
export function decodedBody(body: Readable, headers: IncomingHttpHeaders): Readable {
  const encoding = (headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity') return body;
  const decoder = encoding === 'gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : encoding === 'br' ? createBrotliDecompress() : undefined;
  if (decoder === undefined) throw unsupportedMediaType();
  body.pipe(decoder);
  body.once('error', (error) => decoder.destroy(error));
  return decoder;
}
