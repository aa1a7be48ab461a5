import type { Job } from 'bull';
import type { ObjectId } from 'mongodb';
import { dbClient, findFileOf, toObjectId } from './db';
import type { FileJobData, UserJobData } from './queues';
import { log } from './log';
import { removeBlob } from './storage';
import { makeThumbnails, ThumbnailError } from './thumbnails';

/** Job processors: plain functions of the job's data, shared by the worker and the tests. */

export async function processFileJob(data: FileJobData): Promise<void> {
  if (data.fileId === undefined || data.fileId === null || data.fileId === '') throw new Error('Missing fileId');
  if (data.userId === undefined || data.userId === null || data.userId === '') throw new Error('Missing userId');
  const userId = toObjectId(data.userId);
  const file = userId && (await findFileOf(userId, data.fileId));
  if (!file || file.localPath === undefined) throw new Error('File not found');
  try {
    await makeThumbnails(file.localPath);
  } catch (error) {
    // A decode that failed because the bytes were deleted with the file is no failure of the job.
    if (await removeIfDeleted(file._id, file.localPath)) return;
    throw error;
  }
  await removeIfDeleted(file._id, file.localPath);
}

/** The file may have been deleted while its thumbnails were being made: then leave nothing behind. */
async function removeIfDeleted(fileId: ObjectId, localPath: string): Promise<boolean> {
  if ((await dbClient.files.countDocuments({ _id: fileId }, { limit: 1 })) > 0) return false;
  await removeBlob(localPath);
  return true;
}

/**
 * `processFileJob` as a Bull processor. An image that cannot be decoded will not decode on the
 * next attempt either, so its job fails at once instead of spending its retries.
 */
export async function runFileJob(job: Job<FileJobData>): Promise<void> {
  try {
    await processFileJob(job.data);
  } catch (error) {
    if (error instanceof ThumbnailError) await job.discard();
    throw error;
  }
}

export async function processUserJob(data: UserJobData): Promise<void> {
  if (data.userId === undefined || data.userId === null || data.userId === '') throw new Error('Missing userId');
  const userId = toObjectId(data.userId);
  const user = userId && (await dbClient.users.findOne({ _id: userId }));
  if (!user) throw new Error('User not found');
  log.info(`Welcome ${user.email}!`);
}
