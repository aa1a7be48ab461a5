import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import sharp from 'sharp';
import { appEnv, AppProcess, startServerProcess, startWorkerProcess } from '../../scripts/lib/processes';
import { freePort, startServices, type Services } from '../../scripts/lib/services';
import { findOrStartS3, s3Env, type S3Service } from '../../scripts/lib/versitygw';
import { waitUntil } from '../../scripts/lib/wait';
import { closeClients, connectClients } from '../../utils/clients';
import { loadConfig, useConfig } from '../../utils/config';
import { dbClient } from '../../utils/db';
import { THUMBNAIL_WIDTHS } from '../../utils/storage/byteStore';
import { queues, thumbnailJobId } from '../../utils/queues';
import { api, type ApiResponse, base64, createUser, download, type PublicFileBody, sha256, type TestUser, upload } from '../support';

/**
 * One deployment on several machines: two API servers and two workers, each with a FOLDER_PATH
 * of its own (so nothing can pass through a shared disk), one database, one Redis, one bucket.
 * And the move of a deployment from the local disk to that bucket.
 */

const DB_NAME = 'files_manager_storage_faults';

let services: Services;
let s3: S3Service;
const folders: string[] = [];
const processes: AppProcess[] = [];

function privateFolder(): string {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'files-manager-node-'));
  folders.push(folder);
  return folder;
}

async function nodeEnv(storage: 'local' | 's3', folderPath = privateFolder()): Promise<{ env: Record<string, string>; baseUrl: string }> {
  const port = await freePort();
  const env = appEnv({ port, dbUrl: services.dbUrl, dbName: DB_NAME, redisUrl: services.redisUrl, folderPath });
  if (storage === 's3') Object.assign(env, s3Env(s3, 'deployment/'));
  return { env, baseUrl: `http://127.0.0.1:${port}` };
}

async function startServer(storage: 'local' | 's3', folderPath?: string): Promise<{ server: AppProcess; baseUrl: string; env: Record<string, string> }> {
  const { env, baseUrl } = await nodeEnv(storage, folderPath);
  const server = await startServerProcess(baseUrl, { env });
  processes.push(server);
  return { server, baseUrl, env };
}

async function startWorker(storage: 'local' | 's3'): Promise<AppProcess> {
  const worker = await startWorkerProcess({ env: (await nodeEnv(storage)).env });
  processes.push(worker);
  return worker;
}

function expectNo5xx(responses: readonly ApiResponse[]): void {
  expect(responses.filter((response) => response.status >= 500).map((response) => `${response.status} ${response.text}`)).to.deep.equal([]);
}

async function thumbnailsServed(baseUrl: string, user: TestUser, id: string): Promise<boolean> {
  const answers = await Promise.all(THUMBNAIL_WIDTHS.map((size) => download(id, { baseUrl, token: user.token, size })));
  expectNo5xx(answers);
  return answers.every((answer) => answer.status === 200);
}

describe('storage across machines', function () {
  this.timeout(240_000);
  this.slow(30_000);

  before(async function () {
    // The first run on a machine builds versitygw: minutes with empty Go caches.
    this.timeout(10 * 60_000);
    services = await startServices({ prefix: '' }, {});
    s3 = await findOrStartS3('TEST_');
    // This process reads what the others stored through the same clients.
    useConfig(loadConfig((await nodeEnv('s3')).env));
    await connectClients();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') for (const child of processes) console.error(`--- ${child.entry} ---\n${child.output.slice(-3000)}`);
  });

  after(async () => {
    await Promise.all(processes.map((child) => child.kill()));
    await closeClients();
    await s3?.dispose();
    await services?.stop();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  it('two servers and two workers share one bucket: upload on A, read on B, either worker makes the thumbnails, and a killed worker or server loses nothing', async () => {
    const a = await startServer('s3');
    const b = await startServer('s3');
    const firstWorker = await startWorker('s3');
    const user = await createUser({ baseUrl: a.baseUrl });
    const folder = await upload(user.token, { name: 'shared', type: 'folder' }, { baseUrl: a.baseUrl });
    const content = Buffer.from('written through A, read through B');
    const file = await upload(user.token, { name: 'note.txt', type: 'file', data: base64(content), parentId: folder.id }, { baseUrl: a.baseUrl });
    const small = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#2a6' } }).png().toBuffer();
    const image = await upload(user.token, { name: 'small.png', type: 'image', data: base64(small), parentId: folder.id }, { baseUrl: a.baseUrl });

    const read = await download(file.id, { baseUrl: b.baseUrl, token: user.token });
    expect(read.status).to.equal(200);
    expect(read.bytes.equals(content)).to.equal(true);
    const listed = await api('GET', `/files?parentId=${folder.id}`, { baseUrl: b.baseUrl, token: user.token });
    expect((listed.body as PublicFileBody[]).map((entry) => entry.name).sort()).to.deep.equal(['note.txt', 'small.png']);
    await waitUntil('the thumbnails of the small image, through B', () => thumbnailsServed(b.baseUrl, user, image.id), 60_000, 200);

    // A job that takes seconds: the first worker takes it, a second joins, the first dies mid-job.
    const large = await sharp({ create: { width: 8000, height: 6000, channels: 3, background: { r: 30, g: 90, b: 160 } } }).png({ progressive: true, compressionLevel: 1 }).toBuffer();
    const big = await upload(user.token, { name: 'large.png', type: 'image', data: base64(large) }, { baseUrl: a.baseUrl });
    await waitUntil('the first worker to take the job', async () => (await queues.fileQueue.getJob(thumbnailJobId(big.id)))?.isActive() ?? false, 30_000, 20);
    await startWorker('s3');
    await firstWorker.kill('SIGKILL');
    await waitUntil("the second worker to finish the dead worker's job", () => thumbnailsServed(b.baseUrl, user, big.id), 90_000, 500);

    // Server A dies; B still serves every file, and nothing answers 500.
    await a.server.kill('SIGKILL');
    const answers = await Promise.all([file.id, image.id, big.id].map((id) => download(id, { baseUrl: b.baseUrl, token: user.token })));
    expectNo5xx(answers);
    expect(answers.map((answer) => answer.status)).to.deep.equal([200, 200, 200]);
    expect(sha256(answers[2]?.bytes ?? Buffer.alloc(0))).to.equal(sha256(large));
    expect((await api('GET', '/status', { baseUrl: b.baseUrl })).body).to.deep.equal({ redis: true, db: true });
    const health = await api('GET', '/health', { baseUrl: b.baseUrl });
    expect([health.status, health.body]).to.deep.equal([200, { db: true, redis: true, storage: true }]);
  });

  it('reports a bucket that stops answering in /health and answers 503 promptly, then recovers without restarts', async function () {
    const managed = s3.managed;
    if (managed === undefined) throw new Error('needs the versitygw this run starts, not a named server');
    const { baseUrl } = await startServer('s3');
    const user = await createUser({ baseUrl });
    const kept = await upload(user.token, { name: 'kept.txt', type: 'file', data: base64('kept') }, { baseUrl });
    await managed.stop();
    try {
      const started = Date.now();
      const refused = await api('POST', '/files', { baseUrl, token: user.token, json: { name: 'x.txt', type: 'file', data: base64('x') } });
      expect(refused.status, refused.text).to.equal(503);
      expect(refused.body).to.deep.equal({ error: 'Service unavailable' });
      expect(Date.now() - started, 'answer time (ms)').to.be.below(8000);
      expect((await download(kept.id, { baseUrl, token: user.token })).status).to.equal(503);
      await waitUntil('/health to report the bucket', async () => (await api('GET', '/health', { baseUrl })).text === '{"db":true,"redis":true,"storage":false}', 15_000, 200);
      expect((await api('GET', '/health', { baseUrl })).status).to.equal(503);
      expect((await api('GET', '/status', { baseUrl })).text, 'the original contract, unchanged').to.equal('{"redis":true,"db":true}');
    } finally {
      await managed.start();
    }
    await waitUntil('/health to report it back', async () => {
      const health = await api('GET', '/health', { baseUrl });
      return health.status === 200 && health.text === '{"db":true,"redis":true,"storage":true}';
    }, 15_000, 200);
    expect((await download(kept.id, { baseUrl, token: user.token })).text).to.equal('kept');
  });

  it('moves a deployment from the local disk to the bucket: migrate, verify, switch, serve, and sweep what is left', async () => {
    const disk = privateFolder();
    const local = await startServer('local', disk);
    // The worker writes thumbnails into FOLDER_PATH too: one disk for both, as on one machine.
    const sharedWorker = await startWorkerProcess({ env: (await nodeEnv('local', disk)).env });
    processes.push(sharedWorker);
    const user = await createUser({ baseUrl: local.baseUrl });
    const photo = await sharp({ create: { width: 600, height: 400, channels: 3, background: '#c63' } }).jpeg().toBuffer();
    const files = [
      await upload(user.token, { name: 'a.txt', type: 'file', data: base64('alpha') }, { baseUrl: local.baseUrl }),
      await upload(user.token, { name: 'photo.jpg', type: 'image', data: base64(photo) }, { baseUrl: local.baseUrl }),
    ];
    const [, image] = files as [PublicFileBody, PublicFileBody];
    await waitUntil('the local thumbnails', () => thumbnailsServed(local.baseUrl, user, image.id), 60_000, 200);
    await sharedWorker.kill('SIGTERM');
    await local.server.kill('SIGTERM');

    const s3Settings = (await nodeEnv('s3', disk)).env;
    const migrate = async (): Promise<string> => {
      const script = new AppProcess('scripts/storage-migrate', { env: s3Settings });
      const exit = await script.exited;
      expect(exit.code, script.output).to.equal(0);
      return script.output;
    };
    expect(await migrate()).to.include('moved to the bucket: 2;');
    expect(await migrate(), 'a second run finds nothing left to move').to.include('moved to the bucket: 0;');
    for (const file of files) {
      const doc = await dbClient.files.findOne({ _id: new ObjectId(file.id) });
      expect(doc?.storage).to.equal('s3');
      expect(doc?.localPath).to.equal(undefined);
    }

    const moved = await startServer('s3', disk);
    const text = await download(files[0]?.id ?? '', { baseUrl: moved.baseUrl, token: user.token });
    expect(text.text).to.equal('alpha');
    const served = await download(image.id, { baseUrl: moved.baseUrl, token: user.token });
    expect(sha256(served.bytes)).to.equal(sha256(photo));
    expect(await thumbnailsServed(moved.baseUrl, user, image.id)).to.equal(true);

    // The local copies are now unreferenced: the sweep lists them, and deletes them when told to.
    const sweep = async (...args: string[]): Promise<string> => {
      const script = new AppProcess('scripts/storage-sweep', { env: s3Settings, args });
      const exit = await script.exited;
      expect(exit.code, script.output).to.equal(0);
      return script.output;
    };
    expect(await sweep('--older-than', '0')).to.match(/: 5 unreferenced/);
    expect(await sweep('--delete', '--older-than', '0')).to.include('deleted 5');
    expect(await sweep('--older-than', '0')).to.match(/: 0 unreferenced/);
    expect(await thumbnailsServed(moved.baseUrl, user, image.id), 'the bucket kept what the documents point at').to.equal(true);
  });
});
