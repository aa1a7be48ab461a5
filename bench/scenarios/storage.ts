import path from 'node:path';
import { startServerProcess } from '../../scripts/lib/processes';
import { freePort } from '../../scripts/lib/services';
import { findOrStartS3, s3Env } from '../../scripts/lib/versitygw';
import { deleteFile, uploadFile } from '../lib/api';
import { authHeaders, type BenchContext } from '../lib/context';
import { writeRandomFile } from '../lib/data';
import { downloadLoad, timed } from '../lib/http';
import { peakGrowth } from '../lib/processes';
import { fixed, MIB, mib, ratioOf, type Row, type Table } from '../lib/report';

const RSS_LIMIT_BYTES = 64 * MIB;

interface Transfer {
  seconds: number;
  growthBytes: number;
}

function describe(transfer: Transfer, size: number): string {
  return `${fixed(size / MIB / transfer.seconds)} MiB/s, RSS +${mib(transfer.growthBytes)}`;
}

/**
 * Scenario 6: the S3 driver against the local one, on the same machine: a second server with
 * STORAGE=s3 on versitygw (or the bucket AWS_ENDPOINT_URL_S3 and S3_BUCKET name), the same
 * database and Redis. Uploads and downloads of 100 MiB, and 1 GiB in a full run: speed, and the
 * server's memory, which must stay flat whatever the size.
 */
export async function runStorage(context: BenchContext): Promise<Table> {
  const s3 = await findOrStartS3('');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { ...context.ours.env, PORT: String(port), ...s3Env(s3, `bench-${port}/`) };
  const server = await startServerProcess(url, { env, runtime: context.ours.runtime, logPath: path.join(context.logDir, 'server-s3.log') });
  const rows: Row[] = [];
  try {
    for (const size of context.quick ? [100 * MIB] : [100 * MIB, 1024 * MIB]) {
      const name = `storage-${size / MIB}MiB.bin`;
      const file = path.join(context.dataDir, name);
      await writeRandomFile(file, size);
      const measure = async (baseUrl: string, pid: number): Promise<Record<'upload' | 'download', Transfer>> => {
        const uploaded = await peakGrowth(pid, () => timed(() => uploadFile(baseUrl, context.token, file, size, { name, type: 'file' })));
        const id = uploaded.result.result;
        const downloaded = await peakGrowth(pid, () => timed(() => downloadLoad(`${baseUrl}/files/${id}/data`, authHeaders(context), 1, 0, 1)));
        await deleteFile(baseUrl, context.token, id);
        return {
          upload: { seconds: uploaded.result.seconds, growthBytes: uploaded.growthBytes },
          download: { seconds: downloaded.result.seconds, growthBytes: downloaded.growthBytes },
        };
      };
      const local = await measure(context.ours.url, context.ours.server.pid);
      const s3Driver = await measure(url, server.pid);
      for (const direction of ['upload', 'download'] as const) {
        const [onDisk, bucket] = [local[direction], s3Driver[direction]];
        rows.push({
          scenario: `${direction} ${size / MIB} MiB, S3 driver vs local driver`,
          ours: describe(bucket, size),
          baseline: describe(onDisk, size),
          ratio: ratioOf(onDisk.seconds, bucket.seconds),
          target: `RSS < ${mib(RSS_LIMIT_BYTES)} (speed reported)`,
          met: bucket.growthBytes < RSS_LIMIT_BYTES,
          data: { s3: bucket, local: onDisk },
        });
      }
    }
  } finally {
    await server.stop();
    await s3.dispose();
  }
  return { title: `6. Storage drivers (versitygw on this machine${s3.managed === undefined ? ': no, the named bucket' : ''})`, rows };
}
