import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { payloadTooLarge } from '../errors';

/**
 * The byte store's interface: one per kind of store (localStore.ts, the local disk; s3Store.ts,
 * an S3 bucket), chosen once at start by stores.ts.
 * Thumbnails are stored beside their original under `<key>_<width>`.
 */

export type StorageDriver = 'local' | 's3';

/** Inclusive byte offsets, as in Content-Range. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface StoredBytes {
  size: number;
  sha256: string;
}

export interface ObjectStat {
  size: number;
  modified: Date;
}

export interface ObjectEntry extends ObjectStat {
  key: string;
}

export interface WriteOptions {
  /** Past this many bytes the write fails with 413 and leaves nothing. */
  maxBytes: number;
  /** The owner's quota, asked as the bytes arrive; its refusal fails the write as the limit does. */
  allowance?: Allowance;
}

/** Bytes a write may take: `granted()` without asking, more once `grow` resolves (it rejects with the refusal). */
export interface Allowance {
  granted(): number;
  grow(total: number): Promise<void>;
}

export interface ByteStore {
  readonly driver: StorageDriver;
  /** Where it is, for messages: the folder, or the bucket and prefix. */
  readonly location: string;
  /** A key no object has yet, for a new upload. */
  newKey(): string;
  /** Checks the folder or bucket is usable; throws an Error naming what is wrong. */
  prepare(): Promise<void>;
  /**
   * Streams `source` into `key`, which appears whole or not at all, counting and hashing on
   * the way. When `source` fails or the limit is passed, nothing is left behind.
   */
  write(key: string, source: Readable, options: WriteOptions): Promise<StoredBytes>;
  /** The bytes of `key`, or only `range` of them; rejects with MissingObjectError when absent. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  stat(key: string): Promise<ObjectStat | null>;
  /** Keys that do not exist are fine. */
  delete(keys: readonly string[]): Promise<void>;
  /** Every complete object but the store's marker, streamed, for the consistency checker and the sweep. */
  list(): AsyncIterable<ObjectEntry>;
  /** Writes begun and neither finished nor undone: in progress, or left by a writer that died. */
  pendingWrites(): Promise<string[]>;
  /** Where `key`'s bytes already are on this machine's disk, for readers that do best with a file (libvips); undefined elsewhere. */
  pathOnDisk(key: string): string | undefined;
  /** Whether the store answered its last call or check; what `/health` reports. */
  isAvailable(): boolean;
  /** Idempotent. */
  close(): Promise<void>;
}

/**
 * The object that says which deployment a folder or bucket prefix belongs to (ownership.ts).
 * Dotted, so it can be no upload's key (those are uuids) and sorts apart in a listing.
 */
export const STORE_MARKER_KEY = '.files-manager-store.json';

export class MissingObjectError extends Error {
  override name = 'MissingObjectError';
}

export const THUMBNAIL_WIDTHS = [500, 250, 100] as const;
export type ThumbnailWidth = (typeof THUMBNAIL_WIDTHS)[number];

export function thumbnailKey(key: string, width: ThumbnailWidth): string {
  return `${key}_${width}`;
}

/** The original and its thumbnails. */
export function allKeys(key: string): string[] {
  return [key, ...THUMBNAIL_WIDTHS.map((width) => thumbnailKey(key, width))];
}

/**
 * Counts what flows through and feeds it to `hashes`, and fails with 413 past `maxBytes`, or with
 * the allowance's refusal, before the excess is passed on: an upload's one gate, whichever store
 * or protocol it goes to.
 */
export function hashingLimit({ maxBytes, allowance }: WriteOptions, hashes: readonly Hash[]): { stream: Transform; size: () => number } {
  let size = 0;
  const pass = (chunk: Buffer, callback: (error?: Error | null, data?: Buffer) => void): void => {
    for (const hash of hashes) hash.update(chunk);
    callback(null, chunk);
  };
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > maxBytes) {
        callback(payloadTooLarge());
        return;
      }
      if (allowance === undefined || size <= allowance.granted()) {
        pass(chunk, callback);
        return;
      }
      allowance.grow(size).then(() => pass(chunk, callback), callback);
    },
  });
  return { stream, size: () => size };
}

/** hashingLimit with the SHA-256 a stored object's document keeps. */
export function meter(options: WriteOptions): { stream: Transform; result: () => StoredBytes } {
  const hash = createHash('sha256');
  const { stream, size } = hashingLimit(options, [hash]);
  return { stream, result: () => ({ size: size(), sha256: hash.digest('hex') }) };
}

/** The SHA-256 of everything `source` gives, read to its end. */
export async function sha256Of(source: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of source as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}
