import { createHash } from 'node:crypto';
import { createReadStream, rmSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { request } from '../../scripts/lib/client';
import { startServerProcess } from '../../scripts/lib/processes';
import { freePort } from '../../scripts/lib/services';
import { startTusd, TUSD_VERSION } from '../../scripts/lib/tusd';
import { findOrStartS3, s3Env } from '../../scripts/lib/versitygw';
import { deleteFile, expectStatus, uploadFile } from '../lib/api';
import { authHeaders, type BenchContext } from '../lib/context';
import { writeRandomFile } from '../lib/data';
import { timed } from '../lib/http';
import { peakGrowth } from '../lib/processes';
import { describeTransfer, fixed, median, MIB, mib, ratioOf, type Row, summarizeTransfers, type Table, type Transfer } from '../lib/report';
import { terminateUpload, tusUpload, type RequestTiming, type TusResult } from '../lib/tus';

const SIZE = 100 * MIB;
const CHUNK = 8 * MIB;
const SMALL_SIZE = MIB;
const SMALL_CHUNK = 64 * 1024;
const BIG_SIZE = 1024 * MIB;
const BIG_CHUNK = 50 * MIB;
/** Both ratios: against the reference server, and against our own one-request upload of the same bytes. */
const TARGET_RATIO = 0.8;
const RSS_LIMIT_BYTES = 64 * MIB;
const VERSUS_TUSD = `tus 100 MiB, 8 MiB chunks: ours vs tusd ${TUSD_VERSION} (file store)`;
const VERSUS_RAW = 'tus 100 MiB, 8 MiB chunks, to ours vs our raw POST /files of the same bytes';
const PER_REQUEST = 'per request, 8 MiB chunks (medians over every run)';
const CEILING_VERSUS_TUSD = `tus 100 MiB, 8 MiB chunks: a bare Express tus endpoint (append + SHA-256; no token, lock or database) vs tusd ${TUSD_VERSION}`;
const CEILING_VERSUS_RAW = 'tus 100 MiB, 8 MiB chunks: the same bare Express tus endpoint vs our raw POST /files';

interface Measured extends Transfer {
  /** Absent for the raw upload: one request, so its time is the whole. */
  requests?: RequestTiming[];
}

/** Ours against a baseline of the same 100 MiB: the baseline's time over ours, against TARGET_RATIO, or only reported. */
function ratioRow(scenario: string, ours: Measured, baseline: Measured, data: Record<string, unknown>, targeted = true): Row {
  const ratio = ratioOf(baseline.seconds, ours.seconds);
  return {
    scenario,
    ours: describeTransfer(ours, SIZE),
    baseline: describeTransfer(baseline, SIZE),
    ratio,
    target: targeted ? `>= ${fixed(TARGET_RATIO, 2)}x` : 'reported',
    met: targeted ? ratio !== undefined && ratio >= TARGET_RATIO : undefined,
    data,
  };
}

interface Server {
  url: string;
  pid: number;
}

/**
 * Where an upload's time goes, from the client's side, over every run: the creation, the PATCHes
 * before the last, the last one (which on ours also makes the file), and the client's own time
 * between requests (reading the next chunk from disk, tus-js-client's bookkeeping).
 */
function perRequest(runs: readonly Measured[], chunk: number): { text: string; data: Record<string, number> } {
  const posts: number[] = [];
  const patches: number[] = [];
  const lastPatches: number[] = [];
  const between: number[] = [];
  for (const run of runs) {
    const requests = run.requests ?? [];
    const runPatches = requests.filter((timing) => timing.method === 'PATCH').map((timing) => timing.ms);
    posts.push(...requests.filter((timing) => timing.method === 'POST').map((timing) => timing.ms));
    patches.push(...runPatches.slice(0, -1));
    lastPatches.push(...runPatches.slice(-1));
    between.push(run.seconds * 1000 - requests.reduce((sum, timing) => sum + timing.ms, 0));
  }
  const data = {
    postMs: median(posts),
    patchMs: median(patches),
    patchMaxMs: Math.max(...patches),
    lastPatchMs: median(lastPatches),
    betweenRequestsMs: median(between),
    patchesPerUpload: patches.length / Math.max(runs.length, 1) + 1,
  };
  const text =
    `POST ${fixed(data.postMs, 1)} ms; PATCH p50 ${fixed(data.patchMs, 1)} ms (${fixed(chunk / MIB / (data.patchMs / 1000))} MiB/s), ` +
    `max ${fixed(data.patchMaxMs)} ms; last PATCH ${fixed(data.lastPatchMs, 1)} ms; client between requests ${fixed(data.betweenRequestsMs)} ms`;
  return { text, data };
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * Whether the checkout's server speaks tus at /uploads yet (the bench runs whatever is checked
 * out), and the largest upload it takes. A reason when it does not.
 */
async function probeTus(baseUrl: string): Promise<{ maxSize: number } | { missing: string }> {
  try {
    const reply = await request('OPTIONS', `${baseUrl}/uploads`, { timeoutMs: 5000 });
    const version = reply.headers.get('tus-version');
    if (reply.status >= 300 || version === null || !version.split(',').map((item) => item.trim()).includes('1.0.0')) {
      return { missing: `OPTIONS /uploads answered ${reply.status} without Tus-Version: 1.0.0` };
    }
    return { maxSize: Number(reply.headers.get('tus-max-size') ?? NaN) };
  } catch (error) {
    return { missing: `OPTIONS /uploads failed: ${(error as Error).message}` };
  }
}

/**
 * Scenario 7: resumable uploads (tus 1.0, /uploads). The same 100 MiB through tus-js-client in
 * 8 MiB chunks to ours and to tusd (the protocol's reference server, on its file store), and to
 * ours as one raw POST /files; then 1 GiB in 50 MiB chunks, whose server memory must stay flat
 * on either storage driver.
 */
export async function runResumable(context: BenchContext): Promise<Table> {
  const repetitions = context.quick ? 3 : 5;
  const bigRepetitions = context.quick ? 1 : 2;
  const title = `7. Resumable uploads, tus 1.0 (median of ${repetitions}, wall time from the first request to the last response)`;
  const name = 'resumable-100MiB.bin';
  const file = path.join(context.dataDir, name);
  await writeRandomFile(file, SIZE);
  const expectedSha256 = await sha256Of(file);
  const metadata = { name, type: 'file' };
  const rows: Row[] = [];

  const tusd = await startTusd({ logPath: path.join(context.logDir, 'tusd.log'), maxSize: 2 * BIG_SIZE });
  try {
    const probe = await probeTus(context.ours.url);
    const ours: Server = { url: context.ours.url, pid: context.ours.server.pid };

    const toTusd = (source: string, chunkSize: number) => async (): Promise<Measured> => {
      const { result, growthBytes } = await peakGrowth(tusd.pid, () => tusUpload(tusd.endpoint, source, { chunkSize, metadata }));
      await terminateUpload(result.uploadUrl);
      return { seconds: result.seconds, growthBytes, requests: result.requests };
    };
    const toOurs = (server: Server, source: string, size: number, chunkSize: number, sha256: string) => async (): Promise<Measured> => {
      const { result, growthBytes } = await peakGrowth(server.pid, () =>
        tusUpload(`${server.url}/uploads`, source, { chunkSize, metadata, headers: authHeaders(context) }),
      );
      await checkAndDelete(context, server.url, result, size, sha256);
      return { seconds: result.seconds, growthBytes, requests: result.requests };
    };
    const rawToOurs = async (): Promise<Measured> => {
      const { result, growthBytes } = await peakGrowth(ours.pid, () => timed(() => uploadFile(ours.url, context.token, file, SIZE, metadata)));
      await deleteFile(ours.url, context.token, result.result);
      return { seconds: result.seconds, growthBytes };
    };

    // How far Node and Express alone are from tusd: what no work of ours can win back.
    const toCeiling = async (): Promise<Measured> => {
      const { result, growthBytes } = await peakGrowth(context.baseline.server.pid, () => tusUpload(`${context.baseline.expressUrl}/uploads`, file, { chunkSize: CHUNK, metadata }));
      return { seconds: result.seconds, growthBytes, requests: result.requests };
    };

    const sides = [toTusd(file, CHUNK), rawToOurs, toCeiling];
    if ('maxSize' in probe) sides.push(toOurs(ours, file, SIZE, CHUNK, expectedSha256));
    const [tusdRuns = [], rawRuns = [], ceilingRuns = [], oursRuns = []] = await inRounds(repetitions, sides);
    const viaTusd = summarizeTransfers(tusdRuns);
    const raw = summarizeTransfers(rawRuns);
    const ceiling = summarizeTransfers(ceilingRuns);
    rows.push(
      ratioRow(CEILING_VERSUS_TUSD, ceiling, viaTusd, { ceiling, tusd: viaTusd, ceilingRuns: ceilingRuns.map((run) => run.seconds) }, false),
      ratioRow(CEILING_VERSUS_RAW, ceiling, raw, { ceiling, raw }, false),
    );
    const tusdRequests = perRequest(tusdRuns, CHUNK);

    if (!('maxSize' in probe)) {
      const missing = `not measured: ${probe.missing}`;
      rows.push(
        { scenario: VERSUS_TUSD, ours: missing, baseline: describeTransfer(viaTusd, SIZE), ratio: undefined, target: `>= ${fixed(TARGET_RATIO, 2)}x`, met: false, data: { tusd: viaTusd } },
        { scenario: VERSUS_RAW, ours: missing, baseline: describeTransfer(raw, SIZE), ratio: undefined, target: `>= ${fixed(TARGET_RATIO, 2)}x`, met: false, data: { raw } },
        { scenario: PER_REQUEST, ours: missing, baseline: tusdRequests.text, ratio: undefined, target: 'reported', met: undefined, data: { tusd: tusdRequests.data } },
      );
      return { title, rows };
    }

    const viaOurs = summarizeTransfers(oursRuns);
    const oursRequests = perRequest(oursRuns, CHUNK);
    rows.push(
      ratioRow(VERSUS_TUSD, viaOurs, viaTusd, { ours: viaOurs, tusd: viaTusd, oursRuns: oursRuns.map((run) => run.seconds), tusdRuns: tusdRuns.map((run) => run.seconds) }),
      ratioRow(VERSUS_RAW, viaOurs, raw, { ours: viaOurs, raw, rawRuns: rawRuns.map((run) => run.seconds) }),
      {
        scenario: PER_REQUEST,
        ours: oursRequests.text,
        baseline: tusdRequests.text,
        ratio: undefined,
        target: 'reported',
        met: undefined,
        data: { ours: oursRequests.data, tusd: tusdRequests.data },
      },
    );

    // The same protocol with little data per request: what a request costs apart from its bytes.
    const smallName = 'resumable-1MiB.bin';
    const smallFile = path.join(context.dataDir, smallName);
    await writeRandomFile(smallFile, SMALL_SIZE);
    const smallSha256 = await sha256Of(smallFile);
    const [smallTusd = [], smallOurs = []] = await inRounds(repetitions, [toTusd(smallFile, SMALL_CHUNK), toOurs(ours, smallFile, SMALL_SIZE, SMALL_CHUNK, smallSha256)]);
    const [smallOursRequests, smallTusdRequests] = [perRequest(smallOurs, SMALL_CHUNK), perRequest(smallTusd, SMALL_CHUNK)];
    rows.push({
      scenario: `per request, 1 MiB in ${SMALL_SIZE / SMALL_CHUNK} chunks of 64 KiB (a request's fixed cost)`,
      ours: `${fixed(summarizeTransfers(smallOurs).seconds * 1000)} ms in all; ${smallOursRequests.text}`,
      baseline: `${fixed(summarizeTransfers(smallTusd).seconds * 1000)} ms in all; ${smallTusdRequests.text}`,
      ratio: undefined,
      target: 'reported',
      met: undefined,
      data: { ours: smallOursRequests.data, tusd: smallTusdRequests.data },
    });

    rows.push(...(await bigUploads(context, probe.maxSize, ours, toOurs, toTusd, bigRepetitions)));
  } finally {
    await tusd.dispose();
  }
  return { title, rows };
}

/**
 * Runs every side once untimed, then `repetitions` times, one of each per round in an order that
 * rotates, so neither the machine's noise nor the page cache's state after the one before favours a side.
 */
async function inRounds(repetitions: number, sides: readonly (() => Promise<Measured>)[]): Promise<Measured[][]> {
  // Untimed: the first upload of each side also pays for JIT compilation and cold connections.
  for (const side of sides) await side();
  const runs: Measured[][] = sides.map(() => []);
  for (let round = 0; round < repetitions; round += 1) {
    for (let step = 0; step < sides.length; step += 1) {
      const index = (round + step) % sides.length;
      const side = sides[index];
      if (side !== undefined) runs[index]?.push(await side());
    }
  }
  return runs;
}

type ToOurs = (server: Server, source: string, size: number, chunkSize: number, sha256: string) => () => Promise<Measured>;
type ToTusd = (source: string, chunkSize: number) => () => Promise<Measured>;

async function repeat(times: number, work: () => Promise<Measured>): Promise<Measured[]> {
  const runs: Measured[] = [];
  for (let round = 0; round < times; round += 1) runs.push(await work());
  return runs;
}

/** 1 GiB in 50 MiB chunks, on the local driver (tusd beside it for scale) and on the S3 driver: memory must stay flat. */
async function bigUploads(context: BenchContext, maxSize: number, ours: Server, toOurs: ToOurs, toTusd: ToTusd, repetitions: number): Promise<Row[]> {
  const target = `RSS < ${mib(RSS_LIMIT_BYTES)} (time reported)`;
  const scenario = (driver: string) => `tus 1 GiB, 50 MiB chunks, ${driver}: server RSS growth`;
  if (!(maxSize >= BIG_SIZE)) {
    const reason = `not measured: the server's Tus-Max-Size is ${maxSize}; the bench's UPLOAD_MAX_BYTES must be at least 1 GiB`;
    return [{ scenario: scenario('local driver'), ours: reason, baseline: '-', ratio: undefined, target, met: false }];
  }
  const row = (driver: string, runs: Measured[], baseline: string, data: Record<string, unknown>): Row => {
    const measured = summarizeTransfers(runs);
    return {
      scenario: scenario(driver),
      ours: describeTransfer(measured, BIG_SIZE),
      baseline,
      ratio: undefined,
      target,
      met: measured.growthBytes < RSS_LIMIT_BYTES,
      data: { ...data, ours: measured, growthRuns: runs.map((run) => run.growthBytes), perRequest: perRequest(runs, BIG_CHUNK).data },
    };
  };

  const file = path.join(context.dataDir, 'resumable-1GiB.bin');
  const rows: Row[] = [];
  try {
    await writeRandomFile(file, BIG_SIZE);
    const sha256 = await sha256Of(file);
    const localRuns = await repeat(repetitions, toOurs(ours, file, BIG_SIZE, BIG_CHUNK, sha256));
    const viaTusd = summarizeTransfers(await repeat(repetitions, toTusd(file, BIG_CHUNK)));
    rows.push(row('local driver', localRuns, `tusd: ${describeTransfer(viaTusd, BIG_SIZE)}`, { tusd: viaTusd }));

    // As scenario 6 does: a second server like ours with STORAGE=s3, on versitygw or the bucket the environment names.
    let s3: Awaited<ReturnType<typeof findOrStartS3>> | undefined;
    try {
      s3 = await findOrStartS3('');
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const env = { ...context.ours.env, PORT: String(port), ...s3Env(s3, `bench-resumable-${port}/`) };
      const server = await startServerProcess(url, { env, runtime: context.ours.runtime, logPath: path.join(context.logDir, 'server-s3-resumable.log') });
      try {
        const runs = await repeat(repetitions, toOurs({ url, pid: server.pid }, file, BIG_SIZE, BIG_CHUNK, sha256));
        rows.push(row(`S3 driver (${s3.managed === undefined ? 'the named bucket' : 'versitygw'})`, runs, '-', {}));
      } finally {
        await server.stop();
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      rows.push({ scenario: scenario('S3 driver'), ours: `failed: ${message.split('\n')[0] ?? ''}`, baseline: '-', ratio: undefined, target, met: false });
    } finally {
      await s3?.dispose();
    }
  } finally {
    // A GiB less in the page cache for the scenarios after this one.
    rmSync(file, { force: true });
  }
  return rows;
}

/**
 * A fast upload that lost or mangled bytes would pass for a good one: the finished file must be
 * a normal file of the right size and hash. Then it is deleted, so runs never fill the disk.
 */
async function checkAndDelete(context: BenchContext, baseUrl: string, result: TusResult, size: number, sha256: string): Promise<void> {
  if (result.fileId === undefined) throw new Error(`the PATCH that completed ${result.uploadUrl} sent no File-Id`);
  const reply = expectStatus(await request('GET', `${baseUrl}/files/${result.fileId}?fields=all`, { headers: authHeaders(context) }), 200, 'GET /files/:id?fields=all');
  const stored = JSON.parse(reply.text) as { size?: unknown; sha256?: unknown };
  if (stored.size !== size || stored.sha256 !== sha256) {
    throw new Error(`the file made by ${result.uploadUrl} has size ${String(stored.size)} and sha256 ${String(stored.sha256)}; expected ${size} and ${sha256}`);
  }
  await deleteFile(baseUrl, context.token, result.fileId);
}
