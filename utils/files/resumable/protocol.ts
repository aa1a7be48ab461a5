import { badRequest, HttpError, MESSAGES, notFound, payloadTooLarge } from '../../errors';
import { parseUploadMetadata, type UploadMetadata } from '../input';

/** The tus 1.0 protocol's request headers (https://tus.io/protocols/resumable-upload), read into typed values. */

export const TUS_VERSION = '1.0.0';
export const TUS_EXTENSIONS = ['creation', 'creation-with-upload', 'termination', 'expiration', 'checksum'] as const;
/** sha1 is the one the protocol requires; Node hashes all three at once with no extra dependency. */
export const CHECKSUM_ALGORITHMS = ['sha1', 'sha256', 'md5'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];
export const OFFSET_STREAM = 'application/offset+octet-stream';

const DIGEST_BYTES: Readonly<Record<ChecksumAlgorithm, number>> = { sha1: 20, sha256: 32, md5: 16 };
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DECIMAL = /^\d{1,16}$/;

export interface Checksum {
  algorithm: ChecksumAlgorithm;
  digest: Buffer;
}

export const unsupportedTusVersion = (): HttpError => new HttpError(412, MESSAGES.unsupportedTusVersion, { 'Tus-Version': TUS_VERSION });
export const offsetMismatch = (): HttpError => new HttpError(409, MESSAGES.offsetMismatch);
/** 460 is the checksum extension's own status. */
export const checksumMismatch = (): HttpError => new HttpError(460, MESSAGES.checksumMismatch);

/** An upload's id is 128 random bits in hex; anything else names no upload. */
export function parseUploadId(value: unknown): string {
  if (typeof value !== "string" || !/^[0-9a-f]{32}$/.test(value)) throw notFound();
  return value;
}

function byteCount(value: string | undefined, message: string): number | undefined {
  if (value === undefined) return undefined;
  const count = DECIMAL.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(count)) throw badRequest(message);
  return count;
}

/** Upload-Length: required (this server does not defer lengths), and at most `max`. */
export function parseUploadLength(value: string | undefined, max: number): number {
  const length = byteCount(value, MESSAGES.invalidUploadLength);
  if (length === undefined) throw badRequest(MESSAGES.missingUploadLength);
  if (length > max) throw payloadTooLarge();
  return length;
}

export function parseUploadOffset(value: string | undefined): number {
  const offset = byteCount(value, MESSAGES.invalidUploadOffset);
  if (offset === undefined) throw badRequest(MESSAGES.invalidUploadOffset);
  return offset;
}

/** Upload-Metadata: `key base64,key base64…`; a key alone has an empty value. Keys are unique. */
export function parseTusMetadata(header: string | undefined): Record<string, string> {
  // No prototype: a key named __proto__ must stay a plain key.
  const fields = Object.create(null) as Record<string, string>;
  if (header === undefined || header.trim() === '') return fields;
  for (const pair of header.split(',')) {
    const [key = '', value = '', ...rest] = pair.trim().split(' ');
    if (key === '' || rest.length > 0 || key in fields || !BASE64.test(value)) throw badRequest(MESSAGES.invalidUploadMetadata);
    fields[key] = Buffer.from(value, 'base64').toString('utf8');
  }
  return fields;
}

/**
 * The file's fields from the metadata, judged as `POST /files` judges its own. `filename` stands
 * in for `name` (Uppy sends both), and a MIME type as `type` (what Uppy and tus-js-client send)
 * means an image when it is `image/*`; a folder has no content to upload.
 */
export function fileFieldsOf(metadata: Readonly<Record<string, string>>): UploadMetadata & { type: 'file' | 'image' } {
  const { type } = metadata;
  const fields = {
    name: metadata.name ?? metadata.filename,
    type: type?.includes('/') === true ? (/^image\//i.test(type) ? 'image' : 'file') : type,
    parentId: metadata.parentId,
    isPublic: metadata.isPublic,
  };
  const parsed = parseUploadMetadata(fields, true);
  if (parsed.type === 'folder') throw badRequest(MESSAGES.missingType);
  return { ...parsed, type: parsed.type };
}

/** Upload-Checksum: `<algorithm> <base64 digest>`. */
export function parseUploadChecksum(header: string | undefined): Checksum | undefined {
  if (header === undefined) return undefined;
  const [name = '', digest = '', ...rest] = header.trim().split(' ');
  if (rest.length > 0 || !BASE64.test(digest)) throw badRequest(MESSAGES.invalidUploadChecksum);
  const algorithm = CHECKSUM_ALGORITHMS.find((known) => known === name.toLowerCase());
  if (algorithm === undefined) throw badRequest(MESSAGES.unsupportedChecksum);
  const bytes = Buffer.from(digest, 'base64');
  if (bytes.length !== DIGEST_BYTES[algorithm]) throw badRequest(MESSAGES.invalidUploadChecksum);
  return { algorithm, digest: bytes };
}
