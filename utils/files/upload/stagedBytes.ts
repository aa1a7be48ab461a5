import { finished, PassThrough, type Readable } from 'node:stream';
import { config } from '../../config';
import { uploadAborted } from '../../errors';
import type { StoredBytes } from '../../storage/byteStore';
import { byteStore, removeBlob, type Blob } from '../../storage/stores';
import type { UploadAllowance } from '../../users/quota';

/** Bytes written under a new key of the configured store. */
export interface StoredBlob extends Blob, StoredBytes {}

interface Write {
  input: PassThrough;
  stored: Promise<StoredBlob>;
}

/**
 * The bytes of one upload, from their first byte until a document claims them (`commit`) or the
 * upload fails (`discard`): the one place that removes an upload's bytes, whichever form the body
 * took and whenever it failed. Bytes without a document are garbage nobody can reach. A write
 * takes what it needs of the owner's quota through `allowance`, from before its first byte.
 */
export class StagedBytes {
  constructor(private readonly allowance: UploadAllowance) {}

  private write: Write | undefined;
  /** Writes replaced by a later `receive`, being stopped and removed. */
  private readonly dropping: Promise<void>[] = [];
  private state: 'open' | 'committed' | 'discarded' = 'open';

  /**
   * Starts writing `source` under a new key; what an earlier call wrote is dropped (JSON keeps the
   * last of a repeated `data`). `source` is piped, never destroyed: destroying a request closes its
   * socket before the error response can be sent. When the write fails, or after `discard`, the
   * rest of `source` is read and dropped. The returned promise settles with the write; nobody
   * needs to wait on it, `stored()` does.
   */
  receive(source: Readable): Promise<StoredBlob> {
    if (this.state !== 'open') {
      source.resume();
      return Promise.reject(uploadAborted());
    }
    const previous = this.write;
    this.write = startWrite(source, this.allowance);
    if (previous !== undefined) this.dropping.push(remove(previous));
    return this.write.stored;
  }

  /** The bytes once wholly written; undefined when none were received. Rejects when the write failed. */
  async stored(): Promise<StoredBlob | undefined> {
    await Promise.all(this.dropping);
    return this.write?.stored;
  }

  /** A document now points at the bytes: `discard` leaves them alone. */
  commit(): void {
    if (this.state === 'open') this.state = 'committed';
  }

  /** Stops a write under way and removes whatever was written, unless committed; idempotent. */
  async discard(): Promise<void> {
    if (this.state === 'committed') return;
    this.state = 'discarded';
    const current = this.write;
    this.write = undefined;
    if (current !== undefined) this.dropping.push(remove(current));
    await Promise.all(this.dropping);
  }
}

function startWrite(source: Readable, allowance: UploadAllowance): Write {
  const store = byteStore();
  const key = store.newKey();
  const input = new PassThrough();
  // Its failure reaches the caller through the write; once the write is over, nothing listens.
  input.on('error', () => undefined);
  // A client that goes away fails the write.
  const stopWatching = finished(source, (error) => {
    if (error) input.destroy(uploadAborted());
  });
  source.pipe(input);
  const stored = (async (): Promise<StoredBlob> => {
    try {
      await allowance.open();
      // The source may have failed while the quota was asked: the store would wait for it forever.
      if (input.destroyed) throw input.errored ?? uploadAborted();
      return { store, key, ...(await store.write(key, input, { maxBytes: config().uploadMaxBytes, allowance })) };
    } catch (error) {
      source.unpipe(input);
      source.resume();
      throw error;
    } finally {
      stopWatching();
    }
  })();
  // Whoever needs the outcome awaits it; an upload that failed elsewhere first may never ask.
  stored.catch(() => undefined);
  return { input, stored };
}

/** A write that failed left nothing (the store's promise); one that finished is removed. */
async function remove({ input, stored }: Write): Promise<void> {
  if (!input.writableEnded) input.destroy(uploadAborted());
  const bytes = await stored.catch(() => undefined);
  if (bytes !== undefined) await removeBlob(bytes);
}
