import { thumbnailKey, THUMBNAIL_WIDTHS } from '../storage/byteStore';
import { blobOf, type Blob } from '../storage/stores';
import { findImages } from '../files/store';
import { queues } from '../queues';

export interface BackfillResult {
  /** Images whose thumbnails were all there already, or that have no bytes to work from. */
  skipped: number;
  /** Jobs taken by the queue (a pending job for the same file counts: it will make them). */
  enqueued: number;
  /** Jobs Redis refused or did not answer for; running the backfill again retries them. */
  failed: number;
}

async function hasAllThumbnails({ store, key }: Blob): Promise<boolean> {
  const found = await Promise.all(THUMBNAIL_WIDTHS.map((width) => store.stat(thumbnailKey(key, width))));
  return found.every((stat) => stat !== null);
}

/**
 * Queues a thumbnail job for every image missing any of its thumbnails: after a worker or
 * Redis outage, when an upload could not enqueue, or for documents imported without jobs.
 * Safe to run at any time: job ids are per file, so a file never gets two pending jobs.
 */
export async function backfillThumbnails(): Promise<BackfillResult> {
  const result: BackfillResult = { skipped: 0, enqueued: 0, failed: 0 };
  for await (const image of findImages()) {
    const blob = blobOf(image);
    if (blob === undefined || (await hasAllThumbnails(blob))) {
      result.skipped += 1;
    } else if (await queues.enqueueThumbnails(image._id.toHexString(), image.userId.toHexString())) {
      result.enqueued += 1;
    } else {
      result.failed += 1;
    }
  }
  return result;
}
