import { createHash } from 'node:crypto';
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
 * Counts and hashes what flows through, and fails with 413 past `maxBytes` before the
 * excess is passed on.
 */
export function meter(maxBytes: number): { stream: Transform; result: () => StoredBytes } {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > maxBytes) {
        callback(payloadTooLarge());
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  return { stream, result: () => ({ size, sha256: hash.digest('hex') }) };
}
