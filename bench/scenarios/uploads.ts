import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { deleteFile, expectStatus, idOf } from '../lib/api';
import { authHeaders, type BenchContext } from '../lib/context';
import { multipartBody, writeBase64JsonBody, writeRandomFile } from '../lib/data';
import { request } from '../../scripts/lib/client';
import { timed } from '../lib/http';
import { peakGrowth } from '../lib/processes';
import { describeTransfer, fixed, MIB, mib, ratioOf, type Row, summarizeTransfers, type Table, type Transfer } from '../lib/report';

const TARGET_RATIO = 0.9;
/** base64 JSON against a raw upload of the same bytes to the same server: decoding costs something, not half. */
const JSON_TARGET_RATIO = 0.5;
const RSS_LIMIT_BYTES = 64 * MIB;

interface Body {
  contentType: string;
  contentLength: number;
  stream: () => Readable;
}

/** Scenario 3: `POST /files` raw, multipart and base64 JSON, against piping the request to disk and against each other. */
export async function runUploads(context: BenchContext): Promise<Table> {
  // One upload's time moves by half from run to run on a shared machine; a median needs several.
  const repetitions = context.quick ? 3 : 5;
  const upload = async (body: Body, query: string): Promise<Transfer> => {
    const headers = { 'Content-Type': body.contentType, 'Content-Length': body.contentLength, ...authHeaders(context) };
    const { result, growthBytes } = await peakGrowth(context.ours.server.pid, () => timed(() => request('POST', `${context.ours.url}/files${query}`, { headers, body: body.stream() })));
    await deleteFile(context.ours.url, context.token, idOf(expectStatus(result.result, 201, `upload ${query}`)));
    return { seconds: result.seconds, growthBytes };
  };
  const pipeToDisk = async (body: Body): Promise<Transfer> => {
    const headers = { 'Content-Type': body.contentType, 'Content-Length': body.contentLength };
    const { result, growthBytes } = await peakGrowth(context.baseline.server.pid, () => timed(() => request('POST', `${context.baseline.url}/upload`, { headers, body: body.stream() })));
    expectStatus(result.result, 201, 'baseline upload');
    return { seconds: result.seconds, growthBytes };
  };
  /** Runs both sides `repetitions` times, alternating, so the machine's noise falls on both. */
  const alternate = async (first: () => Promise<Transfer>, second: () => Promise<Transfer>): Promise<[Transfer, Transfer]> => {
    const runs: [Transfer[], Transfer[]] = [[], []];
    for (let round = 0; round < repetitions; round += 1) {
      runs[0].push(await first());
      runs[1].push(await second());
    }
    return [summarizeTransfers(runs[0]), summarizeTransfers(runs[1])];
  };

  const rows: Row[] = [];
  const large = 100 * MIB;
  const rawFile = path.join(context.dataDir, 'upload-100MiB.bin');
  await writeRandomFile(rawFile, large);
  const raw: Body = { contentType: 'application/octet-stream', contentLength: large, stream: () => createReadStream(rawFile) };
  const form = multipartBody({ name: 'upload-100MiB.bin', type: 'file' }, 'upload-100MiB.bin', rawFile, large);
  const multipart: Body = { contentType: form.contentType, contentLength: form.contentLength, stream: form.stream };
  for (const [name, body, query] of [['raw', raw, '?name=upload-100MiB.bin&type=file'], ['multipart', multipart, '']] as const) {
    const [ours, baseline] = await alternate(() => upload(body, query), () => pipeToDisk(body));
    const ratio = ratioOf(baseline.seconds, ours.seconds);
    rows.push({
      scenario: `upload ${name} 100 MiB vs a bare pipe to disk`,
      ours: describeTransfer(ours, large),
      baseline: describeTransfer(baseline, large),
      ratio,
      target: `>= ${fixed(TARGET_RATIO, 2)}x, RSS < ${mib(RSS_LIMIT_BYTES)}`,
      met: ours.growthBytes < RSS_LIMIT_BYTES && ratio !== undefined && ratio >= TARGET_RATIO,
      data: { ours, baseline },
    });
  }

  for (const size of context.quick ? [20 * MIB] : [20 * MIB, 100 * MIB]) {
    const jsonFile = path.join(context.dataDir, `upload-${size / MIB}MiB.json`);
    const sameBytes = path.join(context.dataDir, `upload-${size / MIB}MiB.bin`);
    await writeBase64JsonBody(jsonFile, size, { name: `upload-${size / MIB}MiB.bin`, type: 'file' }, sameBytes);
    const json: Body = { contentType: 'application/json', contentLength: (await stat(jsonFile)).size, stream: () => createReadStream(jsonFile) };
    const plain: Body = { contentType: 'application/octet-stream', contentLength: size, stream: () => createReadStream(sameBytes) };
    const [ours, rawOfSameBytes] = await alternate(() => upload(json, ''), () => upload(plain, `?name=upload-${size / MIB}MiB.bin&type=file`));
    const ratio = ratioOf(rawOfSameBytes.seconds, ours.seconds);
    rows.push({
      scenario: `upload base64 JSON ${size / MIB} MiB vs raw upload of the same bytes`,
      ours: describeTransfer(ours, size),
      baseline: describeTransfer(rawOfSameBytes, size),
      ratio,
      target: `>= ${fixed(JSON_TARGET_RATIO, 2)}x, RSS < ${mib(RSS_LIMIT_BYTES)}`,
      met: ours.growthBytes < RSS_LIMIT_BYTES && ratio !== undefined && ratio >= JSON_TARGET_RATIO,
      data: { ours, baseline: rawOfSameBytes },
    });
  }
  return { title: `3. Uploads (median of ${repetitions}, wall time to the response)`, rows };
}
