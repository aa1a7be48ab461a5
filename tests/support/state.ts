import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type Queue from 'bull';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { dbClient, type FileDoc } from '../../utils/db';
import { thumbnailKey, type ThumbnailWidth } from '../../utils/storage/byteStore';
import { blobOf, byteStore, type Blob } from '../../utils/storage/stores';
import { harness } from './harness';

/** What the service stored, looked at directly: documents, the folder of bytes, the queues. */

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

export async function findDoc(id: string): Promise<FileDoc | null> {
  return dbClient.files.findOne({ _id: new ObjectId(id) });
}

export async function storedDoc(id: string): Promise<FileDoc> {
  const doc = await findDoc(id);
  if (doc === null) throw new Error(`no document ${id}`);
  return doc;
}

export async function localPathOf(id: string): Promise<string> {
  const { localPath } = await storedDoc(id);
  if (localPath === undefined) throw new Error(`document ${id} has no localPath`);
  return localPath;
}

export async function folderEntries(folder = harness().folderPath): Promise<string[]> {
  return (await readdir(folder)).sort();
}

/** Writes in progress, or left behind by a writer that died. */
export async function partialFiles(folder = harness().folderPath): Promise<string[]> {
  return (await folderEntries(folder)).filter((entry) => entry.endsWith('.partial'));
}

/** Where a file's bytes are, in whichever store holds them; a thumbnail's with `width`. */
export async function blobOfFile(id: string, width?: ThumbnailWidth): Promise<Blob> {
  const blob = blobOf(await storedDoc(id));
  if (blob === undefined) throw new Error(`document ${id} has no bytes`);
  return width === undefined ? blob : { store: blob.store, key: thumbnailKey(blob.key, width) };
}

export async function readBlob({ store, key }: Blob): Promise<Buffer> {
  return buffer(await store.read(key));
}

export async function blobExists({ store, key }: Blob): Promise<boolean> {
  return (await store.stat(key)) !== null;
}

export async function writeBlob({ store, key }: Blob, data: Buffer | string): Promise<void> {
  await store.write(key, Readable.from([Buffer.from(data)]), { maxBytes: Number.POSITIVE_INFINITY });
}

/** Every object of the store new uploads go to (FOLDER_PATH, or the bucket), sorted. */
export async function storedKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of byteStore().list()) keys.push(entry.key);
  return keys.sort();
}

/** Writes under way in that store: `.partial` files, or multipart uploads. */
export function pendingWrites(): Promise<string[]> {
  return byteStore().pendingWrites();
}

/** A rejected upload leaves the store as it was and stores no document for its user. */
export async function expectNothingStored(userId: string, before: string[]): Promise<void> {
  expect(await storedKeys()).to.deep.equal(before);
  expect(await pendingWrites()).to.deep.equal([]);
  expect(await dbClient.files.countDocuments({ userId: new ObjectId(userId) })).to.equal(0);
}

/** The data of every job a Bull queue holds, in any state, so a test can look for the one it caused. */
export async function jobData<T>(queue: Queue.Queue<T>): Promise<T[]> {
  const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed', 'paused']);
  return jobs.filter((job) => job !== null).map((job) => job.data);
}
