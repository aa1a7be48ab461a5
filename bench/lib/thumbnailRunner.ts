/**
 * Runs one thumbnail implementation over copies of one image, `concurrency` at a time, and
 * writes the timings to a JSON file. A process of its own per implementation: the baseline
 * bundles another sharp (and libvips) than ours, and two in one process could clash.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface RunnerOptions {
  impl: 'ours' | 'image-thumbnail';
  source: string;
  workDir: string;
  images: number;
  concurrency: number;
  resultPath: string;
}

export interface RunnerResult {
  imagesPerSecond: number;
  /** Per image, all three sizes. */
  durationsMs: number[];
}

async function loadImpl(impl: RunnerOptions['impl'], concurrency: number): Promise<(localPath: string) => Promise<void>> {
  if (impl === 'ours') {
    const [{ makeThumbnails, shareCoresBetween }, { LocalStore }] = await Promise.all([import('../../utils/jobs/thumbnails'), import('../../utils/storage/localStore')]);
    // As the worker runs it: its jobs share the cores.
    shareCoresBetween(concurrency);
    return (localPath) => makeThumbnails({ store: new LocalStore(path.dirname(localPath)), key: path.basename(localPath) });
  }
  return (await import('../baselines/imageThumbnail')).imageThumbnailThree;
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as RunnerOptions;
  const thumbnail = await loadImpl(options.impl, options.concurrency);
  const extension = path.extname(options.source);
  // One copy per slot, so concurrent runs never write the same thumbnail files.
  const slots = Array.from({ length: options.concurrency }, (_, slot) => {
    const copy = path.join(options.workDir, `${options.impl}-${slot}${extension}`);
    copyFileSync(options.source, copy);
    return copy;
  });
  // Warm-up: the first call loads libvips and its codecs.
  await thumbnail(slots[0] as string);

  const durationsMs: number[] = [];
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    slots.map(async (copy) => {
      while (next < options.images) {
        next += 1;
        const began = process.hrtime.bigint();
        await thumbnail(copy);
        durationsMs.push(Number(process.hrtime.bigint() - began) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const result: RunnerResult = { imagesPerSecond: options.images / seconds, durationsMs };
  writeFileSync(options.resultPath, JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
