import { config } from '../config';
import type { BlobLocation } from '../db';
import { allKeys, type ByteStore } from './byteStore';
import { LocalStaging } from './localStaging';
import { LocalStore } from './localStore';
import { S3Store } from './s3Store';
import type { Staging, StagingStore } from './staging';

/**
 * The byte stores in use, and where a document's bytes are: uploads stage theirs through
 * utils/files/upload/stagedBytes.ts, and downloads, deletes, the worker and upkeep find them
 * here. New bytes go to the configured store (STORAGE); a document says which store holds its
 * own (a deployment moving to S3 serves its older files from the disk until
 * `npm run storage:migrate` has copied them).
 */

/** Where one object is. */
export interface Blob {
  store: ByteStore;
  key: string;
}

let local: LocalStore | undefined;
let s3: S3Store | undefined;

export function localStore(): LocalStore {
  local ??= new LocalStore(config().folderPath);
  return local;
}

/** The bucket of STORAGE=s3; undefined with the local driver. */
export function s3Store(): S3Store | undefined {
  const { storage } = config();
  if (storage.driver !== 's3') return undefined;
  s3 ??= new S3Store(storage.s3);
  return s3;
}

/** Where new bytes go. */
export function byteStore(): ByteStore {
  return s3Store() ?? localStore();
}

function stagingOf(store: LocalStore | S3Store): StagingStore {
  return store instanceof S3Store ? store.staging : new LocalStaging(store);
}

/** Where resumable uploads grow on the configured store. */
export function newStaging(): Staging {
  const store = s3Store() ?? localStore();
  return stagingOf(store).empty(store.newKey());
}

/** The store an upload began on keeps it, whatever STORAGE says now. */
function stagingHome(state: Staging): LocalStore | S3Store {
  if (state.driver === 'local') return localStore();
  const bucket = s3Store();
  if (bucket === undefined) throw new Error('an upload is staged in S3, but STORAGE is not s3');
  return bucket;
}

/** The store an upload began on continues it. */
export function stagingStore(state: Staging): StagingStore {
  return stagingOf(stagingHome(state));
}

/** Where a staged upload's bytes are once complete. */
export function stagedBlob(state: Staging): Blob {
  return { store: stagingHome(state), key: state.key };
}

/** Every store documents may point into: the configured one, and the disk older documents may still use. */
export function storesInUse(): ByteStore[] {
  const bucket = s3Store();
  return bucket === undefined ? [localStore()] : [bucket, localStore()];
}

export async function prepareByteStores(): Promise<void> {
  for (const store of storesInUse()) await store.prepare();
}

export async function closeByteStores(): Promise<void> {
  const open = [s3, local];
  [s3, local] = [undefined, undefined];
  for (const store of open) await store?.close();
}

/** Where a document's bytes are; undefined for a folder (or a document without any). */
export function blobOf(file: BlobLocation): Blob | undefined {
  if (file.storage === 's3') {
    const bucket = s3Store();
    if (bucket === undefined || file.objectKey === undefined) throw new Error('a document is in S3, but STORAGE is not s3');
    return { store: bucket, key: file.objectKey };
  }
  if (file.localPath === undefined) return undefined;
  const disk = localStore();
  return { store: disk, key: disk.keyOf(file.localPath) };
}

/** The document fields that record where `blob` lives. */
export function blobFields(blob: Blob): BlobLocation {
  return blob.store instanceof LocalStore ? { localPath: blob.store.localPath(blob.key) } : { storage: 's3', objectKey: blob.key };
}

/** Removes an object and its thumbnails; missing ones are fine. */
export async function removeBlob({ store, key }: Blob): Promise<void> {
  await store.delete(allKeys(key));
}
