/**
 * `npm run soak`: 200 concurrent clients for 60 s on a mixed workload against the server and
 * the worker as child processes, on private MongoDB-compatible and Redis servers. Then the store
 * must pass fsck, and every image have its three thumbnails. Prints the request
 * count, the error count (must be 0), latency percentiles and the server's RSS over time; exits
 * 1 when anything is wrong. SOAK_CLIENTS and SOAK_SECONDS change the load for a quick try.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import sharp from 'sharp';
import { closeClients, connectClients } from '../utils/clients';
import { loadConfig, useConfig } from '../utils/config';
import { dbClient } from '../utils/db';
import { checkStore, hasDamage } from '../utils/files/upkeep/fsck';
import { runMain } from '../utils/lifecycle';
import { queues } from '../utils/queues';
import { thumbnailKey, THUMBNAIL_WIDTHS } from '../utils/storage/byteStore';
import { blobOf } from '../utils/storage/stores';
import { request, requestJson, signUpAndLogIn, type Reply } from './lib/client';
import { appEnv, startServerProcess, startWorkerProcess, type AppProcess } from './lib/processes';
import { waitUntil } from './lib/wait';
import { freePort, startServices } from './lib/services';

const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 200);
const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const USERS = 20;
const DB_NAME = 'files_manager_soak';
const QUEUE_DRAIN_TIMEOUT_MS = 180_000;

interface Account {
  token: string;
  folderId: string;
}

/**
 * One simulated client: an account shared with others, and the files this client uploaded,
 * which only it reads, changes and deletes, so no request races another client's delete.
 */
interface Client {
  account: Account;
  fileIds: string[];
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
let baseUrl = '';

const REQUEST_TIMEOUT_MS = 30_000;

function send(method: string, requestPath: string, token?: string, json?: unknown): Promise<Reply> {
  const options = { agent, timeoutMs: REQUEST_TIMEOUT_MS, headers: token === undefined ? {} : { 'X-Token': token } };
  const url = `${baseUrl}${requestPath}`;
  return json === undefined ? request(method, url, options) : requestJson(method, url, json, options);
}

async function createAccount(): Promise<Account> {
  const { token } = await signUpAndLogIn(baseUrl, 'soak', { agent, timeoutMs: REQUEST_TIMEOUT_MS });
  const folder = await send('POST', '/files', token, { name: 'docs', type: 'folder' });
  if (folder.status !== 201) throw new Error(`folder: expected 201, got ${folder.status} ${folder.text.slice(0, 200)}`);
  return { token, folderId: (JSON.parse(folder.text) as { id: string }).id };
}

/** One kind of request: its share of the mix, and what it must answer. */
interface Operation {
  name: string;
  weight: number;
  run: (client: Client) => Promise<boolean>;
}

function pick<T>(items: readonly T[]): T | undefined {
  return items[Math.floor(Math.random() * items.length)];
}

function operations(imageBase64: string): Operation[] {
  const ok = (reply: Reply, status = 200) => reply.status === status;
  const withFile = async (client: Client, run: (id: string) => Promise<boolean>) => {
    const id = pick(client.fileIds);
    return id === undefined ? ok(await send('GET', '/status')) : run(id);
  };
  return [
    { name: 'GET /status', weight: 5, run: async () => ok(await send('GET', '/status')) },
    { name: 'GET /users/me', weight: 5, run: async (a) => ok(await send('GET', '/users/me', a.account.token)) },
    { name: 'GET /files', weight: 15, run: async (a) => ok(await send('GET', `/files?parentId=${a.account.folderId}&page=${Math.floor(Math.random() * 3)}`, a.account.token)) },
    { name: 'GET /files/:id', weight: 15, run: (a) => withFile(a, async (id) => ok(await send('GET', `/files/${id}`, a.account.token))) },
    {
      name: 'GET /files/:id/data',
      weight: 25,
      run: (a) =>
        withFile(a, async (id) => {
          const reply = await send('GET', `/files/${id}/data`, a.account.token);
          return ok(reply) && reply.bytes.length > 0;
        }),
    },
    {
      name: 'POST /files (text)',
      weight: 15,
      run: async (a) => {
        const data = Buffer.from(randomBytes(512 + Math.floor(Math.random() * 4096)).toString('hex')).toString('base64');
        const reply = await send('POST', '/files', a.account.token, { name: 'note.txt', type: 'file', data, parentId: a.account.folderId });
        if (ok(reply, 201)) a.fileIds.push((JSON.parse(reply.text) as { id: string }).id);
        return ok(reply, 201);
      },
    },
    {
      name: 'POST /files (image)',
      weight: 3,
      run: async (a) => {
        const reply = await send('POST', '/files', a.account.token, { name: 'photo.png', type: 'image', data: imageBase64, parentId: a.account.folderId });
        if (ok(reply, 201)) a.fileIds.push((JSON.parse(reply.text) as { id: string }).id);
        return ok(reply, 201);
      },
    },
    {
      name: 'PUT publish/unpublish',
      weight: 7,
      run: (a) => withFile(a, async (id) => ok(await send('PUT', `/files/${id}/${Math.random() < 0.5 ? 'publish' : 'unpublish'}`, a.account.token))),
    },
    {
      name: 'PATCH /files/:id',
      weight: 5,
      run: (a) => withFile(a, async (id) => ok(await send('PATCH', `/files/${id}`, a.account.token, { name: `renamed-${Date.now()}.txt` }))),
    },
    {
      name: 'DELETE /files/:id',
      weight: 5,
      run: async (a) => {
        // Only once the client has plenty, so reads keep finding files.
        if (a.fileIds.length < 20) return ok(await send('GET', '/status'));
        const id = a.fileIds.splice(Math.floor(Math.random() * a.fileIds.length), 1)[0] as string;
        return ok(await send('DELETE', `/files/${id}`, a.account.token), 204);
      },
    },
  ];
}

function chooser(ops: Operation[]): () => Operation {
  const total = ops.reduce((sum, op) => sum + op.weight, 0);
  return () => {
    let roll = Math.random() * total;
    for (const op of ops) {
      roll -= op.weight;
      if (roll < 0) return op;
    }
    return ops[ops.length - 1] as Operation;
  };
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(match?.[1] ?? 0) / 1024);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

/**
 * The store as `npm run fsck` sees it, then what fsck does not look at: each file's bytes
 * against its recorded size and digest, and each image's three thumbnails at their widths.
 */
async function checkStorage(): Promise<string[]> {
  const report = await checkStore();
  const problems = hasDamage(report) ? [`fsck found damage: ${JSON.stringify(report)}`] : [];
  let images = 0;
  for await (const doc of dbClient.files.find({ type: { $ne: 'folder' } })) {
    const id = doc._id.toHexString();
    const blob = blobOf(doc);
    // fsck has counted a file without bytes already.
    if (blob === undefined || (await blob.store.stat(blob.key)) === null) continue;
    const bytes = await buffer(await blob.store.read(blob.key));
    if (bytes.length !== doc.size || createHash('sha256').update(bytes).digest('hex') !== doc.sha256) problems.push(`${id}: bytes differ from the document`);
    if (doc.type !== 'image') continue;
    images += 1;
    for (const width of THUMBNAIL_WIDTHS) {
      const key = thumbnailKey(blob.key, width);
      if ((await blob.store.stat(key)) === null) problems.push(`${id}: no ${width} px thumbnail`);
      else if ((await sharp(await buffer(await blob.store.read(key))).metadata()).width !== width) problems.push(`${id}: ${width} px thumbnail has another width`);
    }
  }
  console.log(`storage check: ${report.documents} documents, ${report.objects} stored objects (${images} images), ${problems.length} problems`);
  return problems;
}

async function main(): Promise<void> {
  const services = await startServices({ prefix: '' }, {});
  const folderPath = mkdtempSync(path.join(os.tmpdir(), 'files-manager-soak-'));
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  const env = appEnv({ port, dbUrl: services.dbUrl, dbName: DB_NAME, redisUrl: services.redisUrl, folderPath });
  let server: AppProcess | undefined;
  let worker: AppProcess | undefined;
  let connected = false;
  let failed = false;
  try {
    server = await startServerProcess(baseUrl, { env });
    worker = await startWorkerProcess({ env });
    // This process checks the store afterwards as the service sees it: same database, same folder.
    useConfig(loadConfig(env));
    await connectClients();
    connected = true;
    const image = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 20, g: 120, b: 220 } } }).png().toBuffer();
    const accounts = await Promise.all(Array.from({ length: USERS }, createAccount));
    const next = chooser(operations(image.toString('base64')));

    const rssStart = rssMiB(server.pid);
    const rssSamples: number[] = [rssStart];
    const sampler = setInterval(() => server && rssSamples.push(rssMiB(server.pid)), 10_000);
    const latencies: number[] = [];
    const errors = new Map<string, number>();
    const deadline = Date.now() + SECONDS * 1000;
    console.log(`soak: ${CLIENTS} clients for ${SECONDS} s against ${baseUrl}`);

    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, index) => {
        const client: Client = { account: accounts[index % accounts.length] as Account, fileIds: [] };
        while (Date.now() < deadline) {
          const op = next();
          const started = performance.now();
          const good = await op.run(client).catch((error: unknown) => {
            console.error(`${op.name}: ${(error as Error).message}`);
            return false;
          });
          latencies.push(performance.now() - started);
          if (!good) errors.set(op.name, (errors.get(op.name) ?? 0) + 1);
        }
      }),
    );
    clearInterval(sampler);
    const rssEnd = rssMiB(server.pid);

    const sorted = latencies.sort((a, b) => a - b);
    const errorCount = [...errors.values()].reduce((sum, count) => sum + count, 0);
    console.log(`requests: ${latencies.length} (${Math.round(latencies.length / SECONDS)}/s)`);
    console.log(`errors: ${errorCount}${errorCount > 0 ? ` ${JSON.stringify(Object.fromEntries(errors))}` : ''}`);
    console.log(`latency ms: p50 ${percentile(sorted, 50).toFixed(1)}, p99 ${percentile(sorted, 99).toFixed(1)}, max ${(sorted[sorted.length - 1] ?? 0).toFixed(1)}`);
    console.log(`server RSS MiB: start ${rssStart}, end ${rssEnd}, every 10 s ${rssSamples.join(' ')}`);

    await waitUntil(
      'the worker to finish the thumbnail jobs',
      async () => {
        const counts = await queues.fileQueue.getJobCounts();
        return counts.waiting + counts.active + counts.delayed === 0;
      },
      QUEUE_DRAIN_TIMEOUT_MS,
      1000,
    );
    const problems = await checkStorage();
    for (const problem of problems.slice(0, 20)) console.error(problem);
    failed = errorCount > 0 || problems.length > 0;
  } finally {
    agent.destroy();
    const exits = await Promise.all([server?.kill('SIGTERM'), worker?.kill('SIGTERM')]);
    if (exits.some((exit) => exit !== undefined && exit.code !== 0)) {
      console.error(`a process did not stop cleanly: ${JSON.stringify(exits)}`);
      failed = true;
    }
    if (connected) await closeClients();
    await services.stop();
    rmSync(folderPath, { recursive: true, force: true });
  }
  console.log(failed ? 'soak: FAILED' : 'soak: passed');
  process.exitCode = failed ? 1 : 0;
}

runMain('soak', main);
