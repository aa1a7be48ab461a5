import { timingSafeEqual } from 'node:crypto';
import type { ObjectId } from 'mongodb';
import { sign } from '../auth/signing';
import { badRequest, invalidSignature, MESSAGES, signatureExpired } from '../errors';
import type { ThumbnailWidth } from '../storage/byteStore';
import { getOwnedFile } from './manage';

/**
 * Signed URLs: a `GET /files/:id/data` URL that needs no token until it expires, for an
 * `<img src>`, a browser's own download manager or a colleague's script. The query carries the
 * expiry, the options and an HMAC-SHA256 over the method, the path, the expiry and the options,
 * so changing any of them (or adding anything) voids it. Every server signs and checks with the
 * deployment's one key (utils/auth/signing.ts).
 */

export const DISPOSITIONS = ['inline', 'attachment'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

export const SIGNED_URL_DEFAULT_SECONDS = 3600;
export const SIGNED_URL_MAX_SECONDS = 86_400;

/** What a signature covers besides the method and the path. */
export interface SignedOptions {
  /** Unix time, in seconds, after which the URL answers 403 Expired. */
  expires: number;
  width?: ThumbnailWidth;
  disposition?: Disposition;
}

/** The text signed: the method and path, then each option as the URL spells it ('' when absent). */
async function signatureOf(fileId: string, options: SignedOptions): Promise<Buffer> {
  const signed = ['GET', `/files/${fileId}/data`, String(options.expires), options.width ?? '', options.disposition ?? ''].join('\n');
  return sign(signed);
}

/** The query string (without `?`) that lets anyone read `fileId`'s content as its owner would, until `options.expires`. */
export async function signDownload(fileId: ObjectId, options: SignedOptions): Promise<string> {
  const signature = (await signatureOf(fileId.toHexString(), options)).toString('base64url');
  return new URLSearchParams({
    expires: String(options.expires),
    ...(options.width === undefined ? {} : { size: String(options.width) }),
    ...(options.disposition === undefined ? {} : { disposition: options.disposition }),
    signature,
  }).toString();
}

/**
 * Throws 403 unless `signature` was made by this deployment's key for `fileId` and `options`,
 * and they have not expired. HEAD is checked as GET: it reads the same thing.
 */
export async function verifyDownload(fileId: string, options: SignedOptions, signature: Buffer, now = Date.now()): Promise<void> {
  const expected = await signatureOf(fileId, options);
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) throw invalidSignature();
  if (options.expires * 1000 <= now) throw signatureExpired();
}

/** `POST /files/:id/url`: the owner's signed query for one of their files (not a folder: it has no content). */
export async function signOwnedDownload(
  owner: ObjectId,
  id: ObjectId | null,
  request: { expiresIn: number; width?: ThumbnailWidth; disposition?: Disposition },
  now = Date.now(),
): Promise<{ fileId: ObjectId; query: string; expiresAt: Date }> {
  const file = await getOwnedFile(owner, id);
  if (file.type === 'folder') throw badRequest(MESSAGES.folderHasNoContent);
  const expires = Math.floor(now / 1000) + request.expiresIn;
  const query = await signDownload(file._id, { expires, width: request.width, disposition: request.disposition });
  return { fileId: file._id, query, expiresAt: new Date(expires * 1000) };
}
