import { mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { uploadFile } from '../lib/api';
import { authHeaders, type BenchContext } from '../lib/context';
import { writeImage } from '../lib/data';
import { request } from '../../scripts/lib/client';
import { startLogged } from '../lib/processes';
import { fixed, percentile, ratioOf, type Row, type Table } from '../lib/report';
import type { RunnerOptions, RunnerResult } from '../lib/thumbnailRunner';

const TARGET_RATIO = 2;
const CONCURRENCY = 2;
const WIDTHS = [500, 250, 100] as const;
const POLL_MS = 20;
const THUMBNAILS_DEADLINE_MS = 120_000;

interface Image {
  label: string;
  file: string;
}

async function runThumbnailer(context: BenchContext, impl: RunnerOptions['impl'], image: Image, images: number): Promise<RunnerResult> {
  const workDir = path.join(context.dataDir, `thumbnails-${impl}`);
  mkdirSync(workDir, { recursive: true });
  const options: RunnerOptions = {
    impl,
    source: image.file,
    workDir,
    images,
    concurrency: CONCURRENCY,
    resultPath: path.join(workDir, 'result.json'),
  };
  const child = startLogged(`thumbnails-${impl}`, 'bench/lib/thumbnailRunner', context.logDir, { env: {}, args: [JSON.stringify(options)] });
  await child.exited;
  try {
    return JSON.parse(readFileSync(options.resultPath, 'utf8')) as RunnerResult;
  } catch {
    throw new Error(`the ${impl} thumbnail run failed:\n${child.output.slice(-2000)}`);
  }
}

/** Uploads `image` and returns the milliseconds from the upload's response to all three thumbnails being served. */
async function timeToThumbnails(context: BenchContext, image: Image): Promise<number> {
  const { size } = statSync(image.file);
  const id = await uploadFile(context.ours.url, context.token, image.file, size, { name: path.basename(image.file), type: 'image' });
  const start = process.hrtime.bigint();
  const missing = new Set<number>(WIDTHS);
  const deadline = Date.now() + THUMBNAILS_DEADLINE_MS;
  while (missing.size > 0) {
    if (Date.now() > deadline) throw new Error(`thumbnails of ${id} not served within ${THUMBNAILS_DEADLINE_MS / 1000} s`);
    for (const width of [...missing]) {
      const reply = await request('GET', `${context.ours.url}/files/${id}/data?size=${width}`, { headers: authHeaders(context) });
      if (reply.status === 200) missing.delete(width);
    }
    if (missing.size > 0) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Scenario 4: makeThumbnails against image-thumbnail called three times, then the whole pipeline through the worker. */
export async function runThumbnails(context: BenchContext): Promise<Table> {
  const photo: Image = { label: '12 MP JPEG', file: path.join(context.dataDir, 'photo-12MP.jpg') };
  const graphic: Image = { label: '2 MP PNG', file: path.join(context.dataDir, 'graphic-2MP.png') };
  await writeImage(photo.file, 4000, 3000, 'jpeg');
  await writeImage(graphic.file, 1632, 1224, 'png');
  const images = [photo, graphic];

  const count = context.quick ? 4 : 16;
  const rows: Row[] = [];
  const baselineDurations = new Map<string, number[]>();
  for (const image of images) {
    const ours = await runThumbnailer(context, 'ours', image, count);
    const baseline = await runThumbnailer(context, 'image-thumbnail', image, count);
    baselineDurations.set(image.label, baseline.durationsMs);
    const ratio = ratioOf(ours.imagesPerSecond, baseline.imagesPerSecond);
    rows.push({
      scenario: `${image.label}, 3 sizes, ${CONCURRENCY} at a time`,
      ours: `${fixed(ours.imagesPerSecond, 2)} img/s`,
      baseline: `${fixed(baseline.imagesPerSecond, 2)} img/s`,
      ratio,
      target: `>= ${fixed(TARGET_RATIO, 2)}x`,
      met: ratio !== undefined && ratio >= TARGET_RATIO,
      data: { ours, baseline },
    });
  }

  // Two clients, each waiting for its thumbnails before the next upload, keep the worker's
  // two slots busy without a backlog, so the figure is latency rather than queueing.
  const uploads = context.quick ? 10 : 50;
  const latencies: number[] = [];
  let started = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (started < uploads) {
        started += 1;
        latencies.push(await timeToThumbnails(context, photo));
      }
    }),
  );
  const computeMs = baselineDurations.get(photo.label) ?? [];
  for (const p of [50, 95]) {
    const ours = percentile(latencies, p);
    const baseline = percentile(computeMs, p);
    rows.push({
      scenario: `upload -> 3 thumbnails served, ${photo.label}, p${p} of ${uploads}`,
      ours: `${fixed(ours)} ms`,
      baseline: `${fixed(baseline)} ms (image-thumbnail compute only)`,
      ratio: ratioOf(baseline, ours),
      target: 'reported',
      met: undefined,
      data: { latencies, computeMs },
    });
  }
  return { title: '4. Thumbnails', rows };
}
