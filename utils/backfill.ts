import { dbClient, type FileDoc } from './db';
import { queues } from './queues';
import { fileExists, thumbnailPath, THUMBNAIL_WIDTHS } from './storage';

export interface BackfillResult {
  /** Images whose thumbnails were all on disk already, or that have no bytes to work from. */
  skipped: number;
  /** Jobs taken by the queue (a pending job for the same file counts: it will make them). */
  enqueued: number;
  /** Jobs Redis refused or did not answer for; running the backfill again retries them. */
  failed: number;
}

/** Cursor batches bound memory whatever the number of images. */
const CURSOR_BATCH = 500;

async function hasAllThumbnails(localPath: string): Promise<boolean> {
  const present = await Promise.all(THUMBNAIL_WIDTHS.map((width) => fileExists(thumbnailPath(localPath, width))));
  return present.every(Boolean);
}

/**
 * Queues a thumbnail job for every image missing any of its thumbnails: after a worker or
 * Redis outage, when an upload could not enqueue, or for documents imported without jobs.
 * Safe to run at any time: job ids are per file, so a file never gets two pending jobs.
 */
export async function backfillThumbnails(): Promise<BackfillResult> {
  const result: BackfillResult = { skipped: 0, enqueued: 0, failed: 0 };
  const images = dbClient.files.find<Pick<FileDoc, '_id' | 'userId' | 'localPath'>>(
    { type: 'image' },
    { projection: { _id: 1, userId: 1, localPath: 1 }, batchSize: CURSOR_BATCH },
  );
  for await (const image of images) {
    if (image.localPath === undefined || (await hasAllThumbnails(image.localPath))) {
      result.skipped += 1;
    } else if (await queues.enqueueThumbnails(image._id.toHexString(), image.userId.toHexString())) {
      result.enqueued += 1;
    } else {
      result.failed += 1;
    }
  }
  return result;
}
