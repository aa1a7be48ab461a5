import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { deleteFile, expectStatus, idOf } from '../lib/api';
import { authHeaders, type BenchContext } from '../lib/context';
import { multipartBody, writeBase64JsonBody, writeRandomFile } from '../lib/data';
import { send, timed } from '../lib/http';
import { peakGrowth } from '../lib/processes';
import { fixed, median, MIB, mib, ratioOf, type Row, type Table } from '../lib/report';

const TARGET_RATIO = 0.85;
const RSS_LIMIT_BYTES = 64 * MIB;

interface UploadCase {
  name: string;
  /** Only streamed paths have a speed target; base64 JSON must be parsed whole. */
  streamed: boolean;
  payloadBytes: number;
  /** What goes on the wire, identical for ours and the baseline. */
  contentType: string;
  contentLength: number;
  body: () => Readable;
  /** Ours: path and query. */
  path: string;
}

interface Measured {
  seconds: number;
  growthBytes: number;
}

function describe(measured: Measured, payloadBytes: number): string {
  return `${fixed(measured.seconds, 2)} s (${fixed(payloadBytes / MIB / measured.seconds)} MiB/s), RSS +${mib(measured.growthBytes)}`;
}

/** Scenario 3: `POST /files` raw, multipart and base64 JSON, against piping the request to disk. */
export async function runUploads(context: BenchContext): Promise<Table> {
  const large = 100 * MIB;
  const json = 20 * MIB;
  const rawFile = path.join(context.dataDir, 'upload-100MiB.bin');
  const jsonFile = path.join(context.dataDir, 'upload-20MiB.json');
  await writeRandomFile(rawFile, large);
  await writeBase64JsonBody(jsonFile, json, { name: 'upload-20MiB.bin', type: 'file' });
  const jsonLength = (await stat(jsonFile)).size;
  const multipart = multipartBody({ name: 'upload-100MiB.bin', type: 'file' }, 'upload-100MiB.bin', rawFile, large);

  const cases: UploadCase[] = [
    {
      name: 'raw 100 MiB',
      streamed: true,
      payloadBytes: large,
      contentType: 'application/octet-stream',
      contentLength: large,
      body: () => createReadStream(rawFile),
      path: '/files?name=upload-100MiB.bin&type=file',
    },
    {
      name: 'multipart 100 MiB',
      streamed: true,
      payloadBytes: large,
      contentType: multipart.contentType,
      contentLength: multipart.contentLength,
      body: multipart.stream,
      path: '/files',
    },
    {
      name: 'base64 JSON 20 MiB',
      streamed: false,
      payloadBytes: json,
      contentType: 'application/json',
      contentLength: jsonLength,
      body: () => createReadStream(jsonFile),
      path: '/files',
    },
  ];

  const repetitions = context.quick ? 1 : 3;
  const rows: Row[] = [];
  for (const upload of cases) {
    const headers = { 'Content-Type': upload.contentType, 'Content-Length': upload.contentLength };
    const runOurs = async (): Promise<Measured> => {
      const { result, growthBytes } = await peakGrowth(context.ours.server.pid, () =>
        timed(() => send(context.ours.url + upload.path, 'POST', { ...headers, ...authHeaders(context) }, upload.body())),
      );
      const id = idOf(expectStatus(result.result, 201, `upload ${upload.name}`));
      await deleteFile(context.ours.url, context.token, id);
      return { seconds: result.seconds, growthBytes };
    };
    const runBaseline = async (): Promise<Measured> => {
      const { result, growthBytes } = await peakGrowth(context.baseline.server.pid, () =>
        timed(() => send(`${context.baseline.url}/upload`, 'POST', headers, upload.body())),
      );
      expectStatus(result.result, 201, `baseline upload ${upload.name}`);
      return { seconds: result.seconds, growthBytes };
    };
    const ours: Measured[] = [];
    const baseline: Measured[] = [];
    // Alternating spreads the machine's noise over both sides.
    for (let round = 0; round < repetitions; round += 1) {
      ours.push(await runOurs());
      baseline.push(await runBaseline());
    }
    const summary = (runs: Measured[]): Measured => ({
      seconds: median(runs.map((run) => run.seconds)),
      growthBytes: Math.max(...runs.map((run) => run.growthBytes)),
    });
    const oursSummary = summary(ours);
    const baselineSummary = summary(baseline);
    const ratio = ratioOf(baselineSummary.seconds, oursSummary.seconds);
    const memoryMet = oursSummary.growthBytes < RSS_LIMIT_BYTES;
    rows.push({
      scenario: `upload ${upload.name}`,
      ours: describe(oursSummary, upload.payloadBytes),
      baseline: describe(baselineSummary, upload.payloadBytes),
      ratio,
      target: upload.streamed
        ? `>= ${fixed(TARGET_RATIO, 2)}x, RSS < ${mib(RSS_LIMIT_BYTES)}`
        : `RSS < ${mib(RSS_LIMIT_BYTES)} (speed reported)`,
      met: memoryMet && (!upload.streamed || (ratio !== undefined && ratio >= TARGET_RATIO)),
      data: { ours, baseline },
    });
  }
  return { title: `3. Uploads (median of ${repetitions}, wall time to the response)`, rows };
}
