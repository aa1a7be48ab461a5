import { dbClient, toObjectId } from './db';
import type { FileJobData, UserJobData } from './queues';
import { log } from './log';
import { removeBlob } from './storage';
import { makeThumbnails } from './thumbnails';

/** Job processors: plain functions of the job's data, shared by the worker and the tests. */

export async function processFileJob(data: FileJobData): Promise<void> {
  if (data.fileId === undefined || data.fileId === null || data.fileId === '') throw new Error('Missing fileId');
  if (data.userId === undefined || data.userId === null || data.userId === '') throw new Error('Missing userId');
  const fileId = toObjectId(data.fileId);
  const userId = toObjectId(data.userId);
  const file = fileId && userId && (await dbClient.files.findOne({ _id: fileId, userId }));
  if (!file || file.localPath === undefined) throw new Error('File not found');
  await makeThumbnails(file.localPath);
  // The file may have been deleted while its thumbnails were being made: leave nothing behind.
  if ((await dbClient.files.countDocuments({ _id: file._id }, { limit: 1 })) === 0) await removeBlob(file.localPath);
}

export async function processUserJob(data: UserJobData): Promise<void> {
  if (data.userId === undefined || data.userId === null || data.userId === '') throw new Error('Missing userId');
  const userId = toObjectId(data.userId);
  const user = userId && (await dbClient.users.findOne({ _id: userId }));
  if (!user) throw new Error('User not found');
  log.info(`Welcome ${user.email}!`);
}
