import { log } from '../log';
import { MissingObjectError } from '../storage/byteStore';
import { parseObjectId } from '../files/input';
import { blobOf, removeBlob } from '../storage/stores';
import { removeExpiredUploads } from '../files/resumable/upload';
import { purgeDueTrash } from '../files/trash';
import { fileExists, findAnyFile } from '../files/store';
import type { FileJobData, JobOutcome, UserJobData } from '../queues';
import { findUserById } from '../users/store';
import { makeThumbnails, ThumbnailError } from './thumbnails';

/**
 * Job processors: plain functions of the job's data, shared by the worker and the tests, safe
 * to run twice. They throw what a later attempt may get past, and return what happened
 * otherwise, including a failure no attempt can get past.
 */

const isMissing = (value: unknown): boolean => value === undefined || value === null || value === '';

export async function processFileJob(data: FileJobData): Promise<JobOutcome> {
  if (isMissing(data.fileId)) throw new Error('Missing fileId');
  if (isMissing(data.userId)) throw new Error('Missing userId');
  const fileId = parseObjectId(data.fileId);
  const userId = parseObjectId(data.userId);
  // One in the trash gets its thumbnails too: it may be restored.
  const file = fileId && userId && (await findAnyFile(fileId));
  const blob = file && file.userId.equals(userId) ? blobOf(file) : undefined;
  if (!file || blob === undefined) throw new Error('File not found');
  let failure: Error | undefined;
  try {
    await makeThumbnails(blob);
  } catch (error) {
    failure = error as Error;
  }
  // Deleted while its thumbnails were being made: leave nothing behind. A read or decode
  // that failed for that reason is no failure of the job.
  if (!(await fileExists(file._id))) {
    await removeBlob(blob);
    return { kind: 'done', detail: 'the file was deleted meanwhile' };
  }
  if (failure === undefined) return { kind: 'done', detail: 'thumbnails made' };
  if (failure instanceof ThumbnailError) return { kind: 'discarded', reason: failure.message };
  if (failure instanceof MissingObjectError) throw new Error('File not found');
  throw failure;
}

export async function processUserJob(data: UserJobData): Promise<JobOutcome> {
  if (isMissing(data.userId)) throw new Error('Missing userId');
  const userId = parseObjectId(data.userId);
  const user = userId && (await findUserById(userId));
  if (!user) throw new Error('User not found');
  log.info(`Welcome ${user.email}!`);
  return { kind: 'done', detail: 'welcomed' };
}

export async function processUpkeepJob(): Promise<JobOutcome> {
  const uploads = await removeExpiredUploads();
  const trash = await purgeDueTrash();
  return { kind: 'done', detail: `${uploads} expired upload(s) removed, ${trash} item(s) purged from the trash` };
}
