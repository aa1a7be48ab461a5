import { finished, PassThrough, type Readable } from 'node:stream';
import { config } from '../config';
import type { FileDoc } from '../db';
import { uploadAborted } from '../errors';
import { allKeys, type ByteStore, type StoredBytes } from './byteStore';
import { LocalStore } from './localStore';

/** The configured byte store, and what every upload and delete does with it. Nothing else touches the bytes. */

let active: ByteStore | undefined;

/** The configured store, made on first use. */
export function byteStore(): ByteStore {
  active ??= new LocalStore(config().folderPath);
  return active;
}

export async function closeByteStore(): Promise<void> {
  const store = active;
  active = undefined;
  await store?.close();
}

/** Where a document's bytes are: the local driver keys them by their absolute path. */
export function blobKey(file: Pick<FileDoc, 'localPath'>): string | undefined {
  return file.localPath;
}

/** The document fields that record where bytes written under `key` live. */
export function blobFields(key: string): Pick<FileDoc, 'localPath'> {
  return { localPath: key };
}

/**
 * Writes a client's body under a new key. `source` is piped, never destroyed: destroying a
 * request closes its socket before the error response can be sent. A client that goes away
 * fails the write, and when the write fails the rest of `source` is read and dropped.
 */
export async function storeUpload(source: Readable, maxBytes: number): Promise<{ key: string } & StoredBytes> {
  const store = byteStore();
  const key = store.newKey();
  const input = new PassThrough();
  const stopWatching = finished(source, (error) => {
    if (error) input.destroy(uploadAborted());
  });
  source.pipe(input);
  try {
    return { key, ...(await store.write(key, input, { maxBytes })) };
  } catch (error) {
    source.unpipe(input);
    source.resume();
    throw error;
  } finally {
    stopWatching();
  }
}

/** Removes an upload's bytes and its thumbnails; missing ones are fine. */
export async function removeBlob(key: string): Promise<void> {
  await byteStore().delete(allKeys(key));
}
