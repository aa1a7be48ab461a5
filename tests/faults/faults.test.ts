import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ObjectId, type Db } from 'mongodb';
import sharp from 'sharp';
import { appEnv, AppProcess, startServerProcess, startWorkerProcess } from '../../scripts/lib/processes';
import { waitUntil } from '../../scripts/lib/wait';
import { freePort, startServices, type ManagedServer, type Services } from '../../scripts/lib/services';
import { closeClients, connectClients } from '../../utils/clients';
import { loadConfig, useConfig } from '../../utils/config';
import { dbClient, type FileDoc } from '../../utils/db';
import { checkStore } from '../../utils/files/upkeep/fsck';
import { queues, thumbnailJobId } from '../../utils/queues';
import { api, type ApiResponse, basicAuth, createUser, type TestUser, folderEntries as entriesOf, partialFiles as partialsOf, type PublicFileBody, type RequestOptions, sha256, StreamingRequest, uniqueEmail } from '../support';

/**
 * Real outages: private MongoDB-compatible and Redis servers, the server and the worker as
 * child processes, all owned by this file so the rest of the suite never notices.
 */
const DB_NAME = 'files_manager_faults';
const SERVICE_UNAVAILABLE = { error: 'Service unavailable' };

let services: Services;
let folderPath: string;
let baseUrl: string;
let env: Record<string, string>;
let server: AppProcess | undefined;
let worker: AppProcess | undefined;
/** Every token handed out, to prove none of them reached the processes' output. */
const tokens: string[] = [];

function managed(which: 'db' | 'redis'): ManagedServer {
  const found = services[which];
  if (found === undefined) throw new Error(`startServices did not start ${which}`);
  return found;
}

const db = (): Db => dbClient.database;
interface Call extends Omit<RequestOptions, 'baseUrl'> {
  method: string;
  path: string;
}

const call = ({ method, path: target, ...options }: Call): Promise<ApiResponse> => api(method, target, { ...options, baseUrl });

async function logIn(email: string, password: string): Promise<string> {
  const login = await call({ method: 'GET', path: '/connect', headers: { Authorization: basicAuth(email, password) } });
  expect(login.status, login.text).to.equal(200);
  const { token } = login.body as { token: string };
  tokens.push(token);
  return token;
}

async function newAccount(): Promise<TestUser> {
  const account = await createUser({ baseUrl });
  tokens.push(account.token);
  return account;
}

function uploadJson(token: string, fields: Record<string, unknown>): Promise<ApiResponse> {
  return call({ method: 'POST', path: '/files', token, json: fields });
}

async function getStatus(): Promise<{ body: { redis: boolean; db: boolean }; elapsedMs: number }> {
  const response = await call({ method: 'GET', path: '/status', timeoutMs: 5000 });
  expect(response.status).to.equal(200);
  return { body: response.body as { redis: boolean; db: boolean }, elapsedMs: response.elapsedMs };
}

/** Polls /status until `key` reads `value`; every answer must itself be prompt. */
async function waitForStatus(key: 'redis' | 'db', value: boolean, timeoutMs: number): Promise<void> {
  await waitUntil(
    `/status to report ${key}: ${value}`,
    async () => {
      const { body, elapsedMs } = await getStatus();
      expect(elapsedMs, 'GET /status answer time (ms)').to.be.below(500);
      return body[key] === value;
    },
    timeoutMs,
  );
}

const folderEntries = (): Promise<string[]> => entriesOf(folderPath);
const partialFiles = (): Promise<string[]> => partialsOf(folderPath);

/**
 * An upload whose body the test sends piece by piece, as a raw body with the metadata in the
 * query string, so the server streams it to a `.partial` file while the test acts.
 */
function streamingUpload(token: string, query: string, totalBytes: number, agent?: http.Agent): StreamingRequest {
  return new StreamingRequest('POST', `/files?${query}`, {
    baseUrl,
    agent,
    token,
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(totalBytes) },
  });
}

async function pngBase64(width: number, height: number): Promise<string> {
  const image = sharp({ create: { width, height, channels: 4, background: { r: 200, g: 40, b: 90, alpha: 0.5 } } });
  return (await image.png().toBuffer()).toString('base64');
}

async function expectThumbnails(localPath: string, format: string): Promise<void> {
  for (const width of [500, 250, 100]) {
    const metadata = await sharp(await readFile(`${localPath}_${width}`)).metadata();
    expect(metadata.width, `thumbnail ${width}`).to.equal(width);
    expect(metadata.format, `thumbnail ${width}`).to.equal(format);
  }
}

async function thumbnailsExist(localPath: string): Promise<boolean> {
  const entries = await folderEntries();
  return [500, 250, 100].every((width) => entries.includes(path.basename(`${localPath}_${width}`)));
}

async function findFile(id: string): Promise<FileDoc | null> {
  return db().collection<FileDoc>('files').findOne({ _id: new ObjectId(id) });
}

async function ensureRunning(): Promise<void> {
  await managed('redis').start();
  await managed('db').start();
  if (server === undefined || !server.running) server = await startServerProcess(baseUrl, { env });
  if (worker === undefined || !worker.running) worker = await startWorkerProcess({ env });
  await waitForStatus('redis', true, 15_000);
  await waitForStatus('db', true, 15_000);
}

function expectNoTokensIn(output: string): void {
  for (const token of tokens) expect(output, 'a token in the process output').not.to.include(token);
}

describe('faults: outages and crashes of real processes', function () {
  this.timeout(120_000);
  this.slow(20_000);

  before(async () => {
    services = await startServices({ prefix: '' }, {});
    folderPath = mkdtempSync(path.join(os.tmpdir(), 'files-manager-faults-'));
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    env = appEnv({ port, dbUrl: services.dbUrl, dbName: DB_NAME, redisUrl: services.redisUrl, folderPath });
    // This process looks at what the child processes stored through the same clients they use.
    useConfig(loadConfig(env));
    await connectClients();
  });

  beforeEach(ensureRunning);

  afterEach(function () {
    // The processes' output tells what went wrong; print it only then.
    if (this.currentTest?.state === 'failed') {
      console.error(`--- server output ---\n${server?.output.slice(-5000) ?? ''}\n--- worker output ---\n${worker?.output.slice(-5000) ?? ''}`);
    }
  });

  after(async () => {
    const outputs = `${server?.output ?? ''}${worker?.output ?? ''}`;
    await Promise.all([server?.kill(), worker?.kill()]);
    await closeClients();
    await services?.stop();
    if (folderPath !== undefined) rmSync(folderPath, { recursive: true, force: true });
    expectNoTokensIn(outputs);
  });

  describe('when Redis goes away', () => {
    it('reports redis:false at once, answers 503 within a second, keeps an image upload, and recovers without restarts', async () => {
      const account = await newAccount();
      const image = Buffer.from(await pngBase64(640, 480), 'base64');
      const before = await folderEntries();

      // Authenticated while Redis is up; Redis dies while the bytes are on their way.
      const upload = streamingUpload(account.token, 'name=outage.png&type=image', image.length);
      await upload.write(image.subarray(0, 1000));
      await waitUntil('the upload to reach the disk', async () => (await partialFiles()).length > 0, 10_000, 20);
      await managed('redis').stop();
      await waitForStatus('redis', false, 2000);
      expect((await getStatus()).body).to.deep.equal({ redis: false, db: true });

      const requests: Call[] = [
        { method: 'GET', path: '/users/me', headers: { 'X-Token': account.token } },
        { method: 'GET', path: '/files', headers: { 'X-Token': account.token } },
        { method: 'GET', path: '/connect', headers: { Authorization: basicAuth(account.email, account.password) } },
      ];
      for (const request of requests) {
        const response = await call({ ...request, timeoutMs: 5000 });
        expect(response.status, `${request.method} ${request.path}`).to.equal(503);
        expect(response.body).to.deep.equal(SERVICE_UNAVAILABLE);
        expect(response.elapsedMs, `${request.method} ${request.path} answer time (ms)`).to.be.below(1000);
      }
      // A sign-up from an exempt address needs no Redis but for its welcome job, which waits at most a second.
      const signUp = await call({ method: 'POST', path: '/users', json: { email: uniqueEmail(), password: 'x' }, timeoutMs: 5000 });
      expect(signUp.status, signUp.text).to.equal(201);
      expect(signUp.elapsedMs, 'sign-up answer time (ms)').to.be.below(2000);

      const uploaded = await upload.end(image.subarray(1000));
      expect(uploaded.status, uploaded.text).to.equal(201);
      const { id } = uploaded.body as PublicFileBody;
      const stored = await findFile(id);
      expect(stored?.localPath).to.be.a('string');
      expect(sha256(await readFile(stored?.localPath as string))).to.equal(sha256(image));
      const added = (await folderEntries()).filter((name) => !before.includes(name));
      expect(added).to.deep.equal([path.basename(stored?.localPath as string)]);

      await managed('redis').start();
      await waitForStatus('redis', true, 10_000);
      // Redis kept nothing (no persistence in the test server): the old token is gone, logging in works again.
      const token = await logIn(account.email, account.password);
      expect((await call({ method: 'GET', path: '/users/me', headers: { 'X-Token': token } })).status).to.equal(200);

      // The job the upload could not queue is recovered by the backfill, and the same worker makes it.
      const backfill = new AppProcess('scripts/backfill-thumbnails', { env });
      const exit = await backfill.exited;
      expect(exit.code, backfill.output).to.equal(0);
      await waitUntil('thumbnails of the upload made during the outage', () => thumbnailsExist(stored?.localPath as string), 30_000);
      await expectThumbnails(stored?.localPath as string, 'png');

      // New uploads queue their jobs as before.
      const after = await uploadJson(token, { name: 'after.png', type: 'image', data: await pngBase64(300, 200) });
      expect(after.status, after.text).to.equal(201);
      const afterDoc = await findFile((after.body as PublicFileBody).id);
      await waitUntil('thumbnails of an upload made after the outage', () => thumbnailsExist(afterDoc?.localPath as string), 30_000);
      await expectThumbnails(afterDoc?.localPath as string, 'png');
      expect(server?.running && worker?.running, 'server and worker were never restarted').to.be.true;
    });
  });

  describe('when MongoDB goes away', () => {
    it('reports db:false promptly, answers 503 within a second, keeps no bytes of an unrecorded upload, and recovers without restarts', async () => {
      const account = await newAccount();
      const kept = await uploadJson(account.token, { name: 'kept.txt', type: 'file', data: Buffer.from('kept').toString('base64') });
      expect(kept.status).to.equal(201);
      const before = await folderEntries();

      const content = randomBytes(256 * 1024);
      const upload = streamingUpload(account.token, 'name=lost.bin&type=file', content.length);
      await upload.write(content.subarray(0, 1000));
      await waitUntil('the upload to reach the disk', async () => (await partialFiles()).length > 0, 10_000, 20);
      await managed('db').stop();
      await waitForStatus('db', false, 3000);
      expect((await getStatus()).body).to.deep.equal({ redis: true, db: false });

      const lost = await upload.end(content.subarray(1000));
      expect(lost.status, lost.text).to.equal(503);
      expect(lost.body).to.deep.equal(SERVICE_UNAVAILABLE);

      const requests: Call[] = [
        { method: 'GET', path: '/users/me', headers: { 'X-Token': account.token } },
        { method: 'GET', path: '/files', headers: { 'X-Token': account.token } },
        { method: 'GET', path: '/connect', headers: { Authorization: basicAuth(account.email, account.password) } },
        { method: 'GET', path: '/stats' },
        {
          method: 'POST',
          path: '/files',
          headers: { 'X-Token': account.token, 'Content-Type': 'application/json' },
          body: JSON.stringify({ name: 'x.txt', type: 'file', data: 'eA==' }),
        },
      ];
      for (const request of requests) {
        const response = await call({ ...request, timeoutMs: 5000 });
        expect(response.status, `${request.method} ${request.path}`).to.equal(503);
        expect(response.body).to.deep.equal(SERVICE_UNAVAILABLE);
        expect(response.elapsedMs, `${request.method} ${request.path} answer time (ms)`).to.be.below(1000);
      }
      expect(await folderEntries(), 'bytes of uploads that could not be recorded').to.deep.equal(before);

      await managed('db').start();
      await waitForStatus('db', true, 15_000);
      const listed = await call({ method: 'GET', path: '/files', headers: { 'X-Token': account.token } });
      expect(listed.status).to.equal(200);
      expect((listed.body as PublicFileBody[]).map((file) => file.name)).to.deep.equal(['kept.txt']);
      const again = await uploadJson(account.token, { name: 'again.txt', type: 'file', data: Buffer.from('again').toString('base64') });
      expect(again.status, again.text).to.equal(201);
      const data = await call({ method: 'GET', path: `/files/${(again.body as PublicFileBody).id}/data`, headers: { 'X-Token': account.token } });
      expect(data.text).to.equal('again');
      expect(server?.running && worker?.running, 'server and worker were never restarted').to.be.true;
    });
  });

  describe('when the worker is killed in the middle of a thumbnail job', () => {
    it('a new worker takes the stalled job over and writes complete, valid thumbnails', async () => {
      const account = await newAccount();
      // Interlaced PNG cannot be decoded in strips, so this one keeps a worker busy for seconds.
      const large = await sharp({ create: { width: 8000, height: 6000, channels: 3, background: { r: 30, g: 90, b: 160 } } })
        .png({ progressive: true, compressionLevel: 1 })
        .toBuffer();
      const uploaded = await uploadJson(account.token, { name: 'large.png', type: 'image', data: large.toString('base64') });
      expect(uploaded.status, uploaded.text).to.equal(201);
      const { id } = uploaded.body as PublicFileBody;
      const localPath = (await findFile(id))?.localPath as string;

      await waitUntil(
        'the worker to take the job',
        async () => (await queues.fileQueue.getJob(thumbnailJobId(id)))?.isActive() ?? false,
        30_000,
        20,
      );
      const oldPid = worker?.pid;
      await worker?.kill('SIGKILL');
      expect(await thumbnailsExist(localPath), 'the job was still running when the worker died').to.be.false;

      worker = await startWorkerProcess({ env });
      await waitUntil('the new worker to finish the job', () => thumbnailsExist(localPath), 60_000, 200);
      await expectThumbnails(localPath, 'png');
      await waitUntil('the job to leave the queue', async () => (await queues.fileQueue.getJob(thumbnailJobId(id))) === null, 10_000);
      expect(await partialFiles(), `old worker ${oldPid}, new worker ${worker.pid}`).to.deep.equal([]);
    });
  });

  describe('when the server is killed during 20 concurrent uploads', () => {
    it('after a restart every document has its bytes, temporary files are swept, and nothing half-written is served', async () => {
      const account = await newAccount();
      const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
      const chunk = 64 * 1024;
      const contents = Array.from({ length: 20 }, (_, index) => randomBytes(chunk * (2 + index)));
      const uploads = contents.map((content, index) => streamingUpload(account.token, `name=u${index}.bin&type=file`, content.length, agent));
      let finished = 0;
      const outcomes = uploads.map((upload) =>
        upload.response.then(
          (response) => {
            finished += 1;
            return response.status;
          },
          () => 'reset',
        ),
      );
      // Upload i sends 2 + i chunks, a chunk every 20 ms: short ones finish, long ones are mid-way.
      const senders = uploads.map(async (upload, index) => {
        const content = contents[index] as Buffer;
        for (let offset = 0; offset < content.length; offset += chunk) {
          await upload.write(content.subarray(offset, offset + chunk)).catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        // Its outcome is awaited through `outcomes`.
        void upload.end();
      });
      await waitUntil('some uploads to finish while others are still streaming', async () => finished >= 5 && (await partialFiles()).length >= 3, 30_000, 10);
      await server?.kill('SIGKILL');
      await Promise.all(senders);
      const statuses = await Promise.all(outcomes);
      agent.destroy();
      expect(statuses.filter((status) => status === 'reset').length, 'uploads cut by the crash').to.be.greaterThan(0);
      expect(await partialFiles(), 'temporary files left by the crash').not.to.deep.equal([]);

      server = await startServerProcess(baseUrl, { env });
      expect(await partialFiles(), 'temporary files after the restart').to.deep.equal([]);

      const user = await db().collection('users').findOne({ email: account.email });
      const docs = await db().collection<FileDoc>('files').find({ userId: user?._id }).toArray();
      expect(docs.length).to.be.within(statuses.filter((status) => status === 201).length, 20);
      const token = await logIn(account.email, account.password);
      for (const doc of docs) {
        const index = Number(/^u(\d+)\.bin$/.exec(doc.name)?.[1]);
        const expected = contents[index] as Buffer;
        const bytes = await readFile(doc.localPath as string);
        expect(bytes.length, doc.name).to.equal(expected.length);
        expect(doc.size, doc.name).to.equal(expected.length);
        expect(doc.sha256, doc.name).to.equal(sha256(expected));
        expect(sha256(bytes), doc.name).to.equal(sha256(expected));
        const served = await call({ method: 'GET', path: `/files/${doc._id.toHexString()}/data`, headers: { 'X-Token': token } });
        expect(served.status, doc.name).to.equal(200);
        expect(Number(served.headers.get('content-length')), doc.name).to.equal(expected.length);
      }
    });
  });

  describe('when the server is killed in the middle of deleting a folder of 2,000 files for good', () => {
    it('leaves a smaller tree and no orphan; a second DELETE finishes the job', async () => {
      // A delete for good, not to the trash (tests/faults/trash.test.ts kills a purge).
      await server?.kill();
      server = await startServerProcess(baseUrl, { env: { ...env, TRASH_RETENTION_DAYS: '0' } });
      const account = await newAccount();
      const owner = (await db().collection('users').findOne({ email: account.email }))?._id as ObjectId;
      const top = (await uploadJson(account.token, { name: 'big', type: 'folder' })).body as PublicFileBody;
      // Twenty folders of a hundred files each, with real bytes, inserted directly to be quick.
      const docs: FileDoc[] = [];
      for (let folderIndex = 0; folderIndex < 20; folderIndex += 1) {
        const folderId = new ObjectId();
        docs.push({ _id: folderId, userId: owner, name: `sub${folderIndex}`, type: 'folder', parentId: new ObjectId(top.id) });
        for (let fileIndex = 0; fileIndex < 100; fileIndex += 1) {
          const localPath = path.join(folderPath, `crash-${folderIndex}-${fileIndex}-${randomBytes(4).toString('hex')}`);
          await writeFile(localPath, `file ${fileIndex}`);
          docs.push({ _id: new ObjectId(), userId: owner, name: `f${fileIndex}.txt`, type: 'file', parentId: folderId, localPath });
        }
      }
      await db().collection<FileDoc>('files').insertMany(docs);
      const total = docs.length + 1;

      const deleting = call({ method: 'DELETE', path: `/files/${top.id}`, token: account.token, timeoutMs: 60_000 }).catch(() => undefined);
      await waitUntil(
        'the delete to be under way',
        async () => (await db().collection('files').countDocuments({ userId: owner })) < total - 50,
        30_000,
        5,
      );
      await server?.kill('SIGKILL');
      await deleting;
      const left = await db().collection('files').countDocuments({ userId: owner });
      expect(left, 'documents left by the interrupted delete').to.be.within(1, total - 1);

      server = await startServerProcess(baseUrl, { env: { ...env, TRASH_RETENTION_DAYS: '0' } });
      const report = await checkStore({ owner });
      expect([report.orphans.count, report.cycles.count, report.unreachable.count, report.missingBytes.count]).to.deep.equal([0, 0, 0, 0]);
      expect(report.interruptedDeletes.count, 'the marks of the delete that died').to.be.at.least(1);

      const retried = await call({ method: 'DELETE', path: `/files/${top.id}`, token: account.token, timeoutMs: 60_000 });
      expect(retried.status, retried.text).to.equal(204);
      expect(await db().collection('files').countDocuments({ userId: owner })).to.equal(0);
      await server.kill();
    });
  });

  describe('when the server is killed in the middle of moves', () => {
    it('leaves no cycle and no orphan, and the tree lock of the dead server expires', async () => {
      const account = await newAccount();
      const owner = (await db().collection('users').findOne({ email: account.email }))?._id as ObjectId;
      const folders: PublicFileBody[] = [];
      for (let index = 0; index < 6; index += 1) folders.push((await uploadJson(account.token, { name: `m${index}`, type: 'folder' })).body as PublicFileBody);
      const moves = Array.from({ length: 100 }, (_, index) => {
        const from = folders[index % 6] as PublicFileBody;
        const to = folders[(index * 5 + 1) % 6] as PublicFileBody;
        return call({ method: 'PATCH', path: `/files/${from.id}`, token: account.token, json: { parentId: to.id } }).catch(() => undefined);
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await server?.kill('SIGKILL');
      await Promise.all(moves);

      server = await startServerProcess(baseUrl, { env });
      const report = await checkStore({ owner });
      expect([report.orphans.count, report.cycles.count, report.unreachable.count]).to.deep.equal([0, 0, 0]);
      // Moves work again once the dead server's lock has expired (10 s at most).
      const first = folders[0] as PublicFileBody;
      const back = await call({ method: 'PATCH', path: `/files/${first.id}`, token: account.token, json: { parentId: 0 }, timeoutMs: 30_000 });
      expect(back.status, back.text).to.equal(200);
    });
  });

  describe('on SIGTERM', () => {
    it('lets a 50 MiB download and an upload in progress finish, refuses new connections, and exits 0', async () => {
      const account = await newAccount();
      const mib = 1024 * 1024;
      const block = randomBytes(mib);
      const large = streamingUpload(account.token, 'name=large.bin&type=file', 50 * mib);
      for (let index = 0; index < 50; index += 1) await large.write(block);
      const stored = await large.end();
      expect(stored.status, stored.text).to.equal(201);
      const { id } = stored.body as PublicFileBody;
      const expectedHash = sha256(Buffer.concat(Array.from({ length: 50 }, () => block)));

      const agent = new http.Agent({ keepAlive: true });
      const download = await new Promise<http.IncomingMessage>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: Number(new URL(baseUrl).port), path: `/files/${id}/data`, headers: { 'X-Token': account.token }, agent }, resolve)
          .on('error', reject);
      });
      expect(download.statusCode).to.equal(200);
      download.pause();

      const content = randomBytes(2 * mib);
      const upload = streamingUpload(account.token, 'name=late.bin&type=file', content.length, agent);
      await upload.write(content.subarray(0, mib));
      await waitUntil('the upload to reach the disk', async () => (await partialFiles()).length > 0, 10_000, 20);

      const stopping = server as AppProcess;
      stopping.signal('SIGTERM');
      await stopping.waitForOutput('SIGTERM received', 10_000);
      const refused = await call({ method: 'GET', path: '/status', timeoutMs: 2000 }).then(
        () => 'answered',
        (error: NodeJS.ErrnoException) => error.code,
      );
      expect(refused, 'a new connection after SIGTERM').to.equal('ECONNREFUSED');

      const hash = createHash('sha256');
      let received = 0;
      const downloaded = new Promise<void>((resolve, reject) => {
        download.on('data', (piece: Buffer) => {
          hash.update(piece);
          received += piece.length;
        });
        download.on('end', resolve);
        download.on('error', reject);
      });
      download.resume();
      const late = await upload.end(content.subarray(mib));
      await downloaded;
      const finishedAt = Date.now();
      expect(received).to.equal(50 * mib);
      expect(hash.digest('hex')).to.equal(expectedHash);
      expect(late.status, late.text).to.equal(201);
      expect(sha256(await readFile((await findFile((late.body as PublicFileBody).id))?.localPath as string))).to.equal(sha256(content));

      // Idle keep-alive connections must not hold the process open.
      const exit = await stopping.exited;
      agent.destroy();
      expect(exit).to.deep.equal({ code: 0, signal: null });
      expect(Date.now() - finishedAt, 'time from the last response to the exit (ms)').to.be.below(5000);
    });
  });
});
