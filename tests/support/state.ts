import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import type Queue from 'bull';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { dbClient, type FileDoc } from '../../utils/db';
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

/** A rejected upload leaves FOLDER_PATH as it was and stores no document for its user. */
export async function expectNothingStored(userId: string, before: string[]): Promise<void> {
  expect(await folderEntries()).to.deep.equal(before);
  expect(await dbClient.files.countDocuments({ userId: new ObjectId(userId) })).to.equal(0);
}

/** The data of every job a Bull queue holds, in any state, so a test can look for the one it caused. */
export async function jobData<T>(queue: Queue.Queue<T>): Promise<T[]> {
  const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed', 'paused']);
  return jobs.filter((job) => job !== null).map((job) => job.data);
}
