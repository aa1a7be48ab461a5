import { THUMBNAIL_WIDTHS } from '../../storage/byteStore';
import { assertStoreIsOurs } from '../../storage/ownership';
import { blobOf, storesInUse, type Blob } from '../../storage/stores';
import { countFiles, scanFiles } from '../store';
import { finding, note, type Finding } from './findings';
import { KeyFilter } from './keyFilter';

/** Bytes no document references are only garbage once no upload can still be about to claim them. */
export const UNREFERENCED_MIN_AGE_MS = 60 * 60 * 1000;

export interface SweepReport {
  objects: number;
  /** Older than the minimum age: garbage. */
  unreferenced: Finding;
  young: number;
  removed: number;
}

export interface SweepOptions {
  remove: boolean;
  unreferencedMinAgeMs: number;
  onProgress: (message: string) => void;
  progressEvery: number;
}

/** The set of objects documents reference, sized for every document of the database. */
export async function referencedKeys(): Promise<KeyFilter> {
  return new KeyFilter(await countFiles());
}

/** One object in one store, as the filter of referenced objects knows it. */
export function referenceOf({ store, key }: Blob): string {
  return `${store.driver}:${key}`;
}

/** The original a stored key belongs to: itself, or the original of a thumbnail. */
export function originalKey(key: string): string {
  const suffix = THUMBNAIL_WIDTHS.map((width) => `_${width}`).find((candidate) => key.endsWith(candidate));
  return suffix === undefined ? key : key.slice(0, -suffix.length);
}

/** Lists every store in use and finds (and with `remove`, deletes) what no document references. */
export async function sweepStores(referenced: KeyFilter, options: SweepOptions): Promise<SweepReport> {
  const report: SweepReport = { objects: 0, unreferenced: finding(), young: 0, removed: 0 };
  const now = Date.now();
  for (const store of storesInUse()) {
    // Checked again now, not only at start-up: another deployment may have claimed the store since.
    if (options.remove) await assertStoreIsOurs(store);
    for await (const object of store.list()) {
      report.objects += 1;
      if (report.objects % options.progressEvery === 0) options.onProgress(`${report.objects} stored objects checked`);
      if (referenced.mightContain(referenceOf({ store, key: originalKey(object.key) }))) continue;
      if (now - object.modified.getTime() < options.unreferencedMinAgeMs) {
        report.young += 1;
        continue;
      }
      note(report.unreferenced, `${store.driver}:${object.key}`);
      if (options.remove) {
        await store.delete([object.key]);
        report.removed += 1;
      }
    }
  }
  return report;
}

/**
 * `npm run storage:sweep`: the objects (or files) no document references and older than an
 * hour, across every store in use; deleted with `remove`. What a migration to S3 leaves on the
 * disk ends here.
 */
export async function sweepUnreferencedBytes(options: Partial<SweepOptions> = {}): Promise<SweepReport> {
  const referenced = await referencedKeys();
  for await (const batch of scanFiles()) {
    for (const blob of batch.map(blobOf)) if (blob !== undefined) referenced.add(referenceOf(blob));
  }
  return sweepStores(referenced, {
    remove: options.remove ?? false,
    unreferencedMinAgeMs: options.unreferencedMinAgeMs ?? UNREFERENCED_MIN_AGE_MS,
    onProgress: options.onProgress ?? (() => undefined),
    progressEvery: options.progressEvery ?? 10_000,
  });
}
