import { randomBytes, randomInt } from 'node:crypto';
import path from 'node:path';
import type autocannon from 'autocannon';
import { createFolder, uploadFile } from '../lib/api';
import { authHeaders, type BenchContext } from '../lib/context';
import { writeRandomFile } from '../lib/data';
import { hammer } from '../lib/load';
import { fixed, type Table } from '../lib/report';

const CONNECTIONS = 64;
const SMALL_FILES = 50;
const SMALL_FILE_BYTES = 4096;
const PAGES = Math.ceil(SMALL_FILES / 20);

/** Scenario 5: many clients using the service the way an app would, all at once. */
export async function runMixed(context: BenchContext): Promise<Table> {
  const folderId = await createFolder(context.ours.url, context.token, 'mixed');
  const uploadsId = await createFolder(context.ours.url, context.token, 'mixed-uploads');
  const file = path.join(context.dataDir, 'small.bin');
  await writeRandomFile(file, SMALL_FILE_BYTES);
  const ids: string[] = [];
  for (let index = 0; index < SMALL_FILES; index += 1) {
    ids.push(await uploadFile(context.ours.url, context.token, file, SMALL_FILE_BYTES, { name: `small-${index}.bin`, type: 'file', parentId: folderId }));
  }
  const anyId = (): string => ids[randomInt(ids.length)] as string;
  const withPath = (makePath: () => string): autocannon.Request['setupRequest'] => (request) => ({ ...request, path: makePath() });

  const list: autocannon.Request = { method: 'GET', setupRequest: withPath(() => `/files?parentId=${folderId}&page=${randomInt(PAGES)}`) };
  const show: autocannon.Request = { method: 'GET', setupRequest: withPath(() => `/files/${anyId()}`) };
  const download: autocannon.Request = { method: 'GET', setupRequest: withPath(() => `/files/${anyId()}/data`) };
  const upload: autocannon.Request = {
    method: 'POST',
    path: `/files?name=upload.bin&type=file&parentId=${uploadsId}`,
    headers: { ...authHeaders(context), 'Content-Type': 'application/octet-stream' },
    body: randomBytes(SMALL_FILE_BYTES),
  };
  const publish: autocannon.Request = { method: 'PUT', setupRequest: withPath(() => `/files/${anyId()}/publish`) };
  // Reads outnumber writes, as they do for a file store: 3 list, 3 show, 3 download, 1 upload, 1 publish.
  const requests = [list, show, download, list, show, download, upload, list, show, download, publish];

  const duration = context.quick ? 6 : 30;
  const result = await hammer({
    url: context.ours.url,
    connections: CONNECTIONS,
    duration,
    headers: authHeaders(context),
    requests,
  });
  const clean = result.errors === 0 && result.status5xx === 0 && result.non2xx === 0;
  return {
    title: `5. Mixed load (${CONNECTIONS} connections, ${duration} s; 3 list : 3 show : 3 download : 1 upload : 1 publish)`,
    rows: [
      {
        scenario: 'mixed',
        ours:
          `${fixed(result.requestsPerSecond)} req/s, p99 ${result.latencyP99Ms} ms, ` +
          `${result.errors} errors, ${result.status5xx} 5xx, ${result.non2xx} non-2xx`,
        baseline: 'none (no bare equivalent)',
        ratio: undefined,
        target: '0 errors, 0 5xx, all 2xx',
        met: clean,
        data: { ...result },
      },
    ],
  };
}
