import type { Readable } from 'node:stream';

/**
 * Where a resumable upload's bytes grow between requests, until they become the object of their
 * key (utils/files/resumable/). The state is plain data kept in the upload's document, so any
 * server can continue an upload another began; the document's offset, not the store, says how
 * many bytes count, so bytes written past it by a request that was refused are overwritten.
 */

/** An S3 multipart upload's part, as CompleteMultipartUpload needs it. */
export interface StagedPart {
  number: number;
  etag: string;
  size: number;
}

export type Staging =
  | { driver: 'local'; key: string }
  | {
      driver: 's3';
      key: string;
      /** Created with the first part. */
      uploadId?: string;
      parts: StagedPart[];
      /** Bytes after the parts, fewer than S3's smallest part, held as an object of their own. */
      tail?: { key: string; size: number };
    };

export interface Appended {
  state: Staging;
  /** Bytes now stored after the offset: all of them when the body ended, what had arrived when it failed. */
  written: number;
  /** Why the body stopped early: the client went away, or it sent more than was left. */
  error?: Error;
}

export interface StagingStore {
  /** An upload that has no byte yet. */
  empty(key: string): Staging;
  /**
   * Adds `body` after the first `offset` bytes of `state`, the last bytes of the upload when
   * `offset` + what arrives reaches `length`. `body` is the caller's own stream, consumed to its end.
   */
  append(state: Staging, offset: number, length: number, body: Readable): Promise<Appended>;
  /** Drops what `superseded` holds and `current` does not: the state a request replaced, or the one it was refused. */
  release(superseded: Staging, current: Staging): Promise<void>;
  /** The whole upload, `length` bytes, becomes the object of its key; idempotent. */
  complete(state: Staging, length: number): Promise<void>;
  /** Removes every staged byte; idempotent. */
  discard(state: Staging): Promise<void>;
}
