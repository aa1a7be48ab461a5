import { sha256Of, thumbnailKey, THUMBNAIL_WIDTHS, type ByteStore } from '../../storage/byteStore';
import { blobFields, blobOf, localStore, s3Store, type Blob } from '../../storage/stores';
import { findOnLocalDisk, switchStorage } from '../store';

export interface MigrationReport {
  /** Documents now in the bucket. */
  moved: number;
  /** Documents whose local bytes are missing (see npm run fsck): left as they are. */
  missing: number;
  /** Documents whose copy read back other than the original: left on the disk, to be tried again. */
  mismatched: number;
}

/** Copies one object and checks the copy by reading it back; false when it differs. */
async function copyVerified(from: Blob, to: ByteStore, key: string): Promise<{ same: boolean; size: number; sha256: string }> {
  const written = await to.write(key, await from.store.read(from.key), { maxBytes: Number.POSITIVE_INFINITY });
  return { ...written, same: (await sha256Of(await to.read(key))) === written.sha256 };
}

/**
 * `npm run storage:migrate`: copies every file (and its thumbnails) from the local disk to the
 * bucket, verifies each copy by SHA-256, then switches its document, only if it still points
 * at the same local bytes. Documents switched are never touched again, so it can be stopped
 * and run again at any point; the local files stay until `npm run storage:sweep -- --delete`.
 */
export async function migrateToS3(onProgress: (message: string) => void = () => undefined): Promise<MigrationReport> {
  const bucket = s3Store();
  if (bucket === undefined) throw new Error('storage:migrate needs STORAGE=s3 and the bucket settings');
  const report: MigrationReport = { moved: 0, missing: 0, mismatched: 0 };
  const disk = localStore();
  for await (const doc of findOnLocalDisk()) {
    const original = blobOf(doc);
    if (original === undefined || doc.localPath === undefined) continue;
    if ((await disk.stat(original.key)) === null) {
      report.missing += 1;
      continue;
    }
    // A name in FOLDER_PATH is a uuid already; a file imported from elsewhere gets a new one.
    const key = original.key.includes('/') ? bucket.newKey() : original.key;
    const copied = await copyVerified(original, bucket, key);
    if (!copied.same || (doc.sha256 !== undefined && doc.sha256 !== copied.sha256)) {
      report.mismatched += 1;
      continue;
    }
    for (const width of THUMBNAIL_WIDTHS) {
      const thumbnail = { store: disk, key: thumbnailKey(original.key, width) };
      // A missing or bad thumbnail is remade by the worker (npm run thumbnails:backfill).
      if ((await disk.stat(thumbnail.key)) !== null) await copyVerified(thumbnail, bucket, thumbnailKey(key, width));
    }
    if (await switchStorage(doc._id, doc.localPath, { ...blobFields({ store: bucket, key }), size: copied.size, sha256: copied.sha256 })) report.moved += 1;
    if ((report.moved + report.missing + report.mismatched) % 100 === 0) onProgress(`${report.moved} files moved so far`);
  }
  return report;
}
