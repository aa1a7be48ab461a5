import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { appEnv, type AppProcess, startServerProcess, startWorkerProcess } from '../../scripts/lib/processes';
import { waitUntil } from '../../scripts/lib/wait';
import { freePort, startServices, type Services } from '../../scripts/lib/services';
import { closeClients, connectClients } from '../../utils/clients';
import { loadConfig, useConfig } from '../../utils/config';
import { dbClient, type FileDoc } from '../../utils/db';
import { checkStore } from '../../utils/files/upkeep/fsck';
import { api, type ApiResponse, base64, createUser, type PublicFileBody, type TestUser, upload } from '../support';

/**
 * Quotas and the trash on a deployment of real processes: two servers sharing one database,
 * one Redis and one folder, and a worker killed in the middle of a purge.
 */

const DB_NAME = 'files_manager_trash_faults';
const QUOTA = 7500;
const SIZE = 1000;

let services: Services;
let folderPath: string;
let env: Record<string, string>;
const processes: AppProcess[] = [];

async function startServer(extra: Record<string, string> = {}): Promise<string> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  processes.push(await startServerProcess(baseUrl, { env: { ...env, PORT: String(port), ...extra } }));
  return baseUrl;
}

function uploadOn(baseUrl: string, user: TestUser, index: number, data: Buffer): Promise<ApiResponse> {
  const token = user.token;
  if (index % 3 === 0) return api('POST', '/files', { baseUrl, token, json: { name: `j${index}`, type: 'file', data: base64(data) } });
  // A raw body with its Content-Length, and one sent in pieces without (chunked).
  const body = index % 3 === 1 ? data : Readable.from([data.subarray(0, SIZE / 2), data.subarray(SIZE / 2)]);
  return api('POST', `/files?name=r${index}&type=file`, { baseUrl, token, body, headers: { 'Content-Type': 'application/octet-stream' } });
}

describe('faults: quotas and the trash across processes', function () {
  this.timeout(180_000);
  this.slow(30_000);

  before(async () => {
    services = await startServices({ prefix: '' }, {});
    folderPath = mkdtempSync(path.join(os.tmpdir(), 'files-manager-trash-faults-'));
    env = { ...appEnv({ port: 0, dbUrl: services.dbUrl, dbName: DB_NAME, redisUrl: services.redisUrl, folderPath }), QUOTA_BYTES: String(QUOTA) };
    useConfig(loadConfig(env));
    await connectClients();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') for (const each of processes) console.error(`--- output ---\n${each.output.slice(-4000)}`);
  });

  after(async () => {
    await Promise.all(processes.map((each) => each.kill()));
    await closeClients();
    await services?.stop();
    if (folderPath !== undefined) rmSync(folderPath, { recursive: true, force: true });
  });

  it('holds a quota exactly when 20 uploads in parallel, split over two servers, together exceed it', async () => {
    const servers = [await startServer(), await startServer()];
    for (let round = 0; round < 3; round += 1) {
      const user = await createUser({ baseUrl: servers[0] });
      const data = randomBytes(SIZE);
      const answers = await Promise.all(Array.from({ length: 20 }, (_, index) => uploadOn(servers[index % 2] as string, user, index, data)));
      const created = answers.filter((answer) => answer.status === 201);
      for (const answer of answers) if (answer.status !== 201) expect(answer.body, answer.text).to.deep.equal({ error: 'Quota exceeded' });
      expect(created.length, 'as many as fit').to.equal(Math.floor(QUOTA / SIZE));
      const usage = await api('GET', '/users/me/usage', { baseUrl: servers[1], token: user.token });
      expect(usage.body).to.deep.equal({ used: created.length * SIZE, quota: QUOTA, trash: 0, files: created.length });
      const docs = await dbClient.files.find({ userId: new ObjectId(user.id) }).toArray();
      expect(docs.reduce((total, doc) => total + (doc.size ?? 0), 0)).to.equal(created.length * SIZE);
    }
  });

  it('gives back what an upload held when its server is killed mid-body, once the lease lapses, and counts nothing of it', async () => {
    const baseUrl = await startServer();
    const victim = processes[processes.length - 1] as AppProcess;
    const user = await createUser({ baseUrl });
    const owner = new ObjectId(user.id);
    const uploading = api('POST', '/files?name=cut&type=file', {
      baseUrl,
      token: user.token,
      body: Readable.from((async function* () {
        yield Buffer.alloc(1000);
        // Unref'd: a body that never ends must not keep mocha from exiting once the tests are done.
        await new Promise((resolve) => setTimeout(resolve, 60_000).unref());
      })()),
      headers: { 'Content-Type': 'application/octet-stream' },
    }).catch(() => undefined);
    await waitUntil('the upload to hold a lease', async () => Object.keys((await dbClient.usage.findOne({ _id: owner }))?.leases ?? {}).length > 0, 15_000, 20);
    await victim.kill('SIGKILL');
    await uploading;
    const usage = await dbClient.usage.findOne({ _id: owner });
    expect(usage).to.include({ stored: 0, files: 0, uploads: 0 });
    const [lease] = Object.values(usage?.leases ?? {});
    expect(lease?.until.getTime(), 'the dead server’s lease lapses within a minute').to.be.at.most(Date.now() + 60_000);
    expect(await dbClient.files.countDocuments({ userId: owner })).to.equal(0);
  });

  it('finishes a purge that a killed worker left: no orphan, no byte left, the counters right', async () => {
    // Purged at once: a retention of a hundredth of a second, and a sweep every second.
    const baseUrl = await startServer({ TRASH_RETENTION_DAYS: '0.0000001' });
    const user = await createUser({ baseUrl });
    const owner = new ObjectId(user.id);
    const top = await upload(user.token, { name: 'big', type: 'folder' }, { baseUrl });
    // Twenty folders of a hundred files with real bytes, inserted directly to be quick, as the service writes them.
    const docs: FileDoc[] = [];
    for (let folderIndex = 0; folderIndex < 20; folderIndex += 1) {
      const folderId = new ObjectId();
      docs.push({ _id: folderId, userId: owner, name: `sub${folderIndex}`, nameKey: `sub${folderIndex}`, type: 'folder', parentId: new ObjectId(top.id) });
      for (let fileIndex = 0; fileIndex < 100; fileIndex += 1) {
        const localPath = path.join(folderPath, `purge-${folderIndex}-${fileIndex}-${randomBytes(4).toString('hex')}`);
        await writeFile(localPath, 'twelve bytes');
        docs.push({ _id: new ObjectId(), userId: owner, name: `f${fileIndex}.txt`, nameKey: `f${fileIndex}.txt`, type: 'file', parentId: folderId, localPath, size: 12 });
      }
    }
    await dbClient.files.insertMany(docs);
    await dbClient.usage.updateOne({ _id: owner }, { $inc: { stored: 2000 * 12, files: 2000 } });
    const total = docs.length + 1;
    const trashed = await api('DELETE', `/files/${top.id}`, { baseUrl, token: user.token, timeoutMs: 60_000 });
    expect(trashed.status, trashed.text).to.equal(204);
    expect((await api('GET', '/users/me/usage', { baseUrl, token: user.token })).body).to.include({ trash: 2000 * 12, files: 2000 });

    const workerEnv = { ...env, TRASH_RETENTION_DAYS: '0.0000001' };
    const worker = await startWorkerProcess({ env: workerEnv });
    processes.push(worker);
    await waitUntil('the purge to be under way', async () => (await dbClient.files.countDocuments({ userId: owner })) < total - 50, 60_000, 5);
    await worker.kill('SIGKILL');
    const left = await dbClient.files.countDocuments({ userId: owner });
    expect(left, 'documents left by the purge that died').to.be.within(1, total - 1);
    const midway = await checkStore({ owner });
    expect([midway.orphans.count, midway.cycles.count, midway.unreachable.count, midway.missingBytes.count, midway.trashMismatches.count]).to.deep.equal([0, 0, 0, 0, 0]);
    const listed = (await api('GET', '/trash', { baseUrl, token: user.token })).body as PublicFileBody[];
    expect(listed.map((item) => item.id), 'still in the trash until the purge is done').to.deep.equal([top.id]);

    // A new worker waits out the dead one's tree lock, then finishes.
    processes.push(await startWorkerProcess({ env: workerEnv }));
    await waitUntil('the purge to finish', async () => (await dbClient.files.countDocuments({ userId: owner })) === 0, 60_000, 100);
    // Documents go before their bytes: what the dead worker had not removed yet is garbage fsck (or
    // the sweep) removes, but for the odd one its Bloom filter of referenced keys takes for referenced (0.1%).
    const after = await checkStore({ repair: true, unreferencedMinAgeMs: 0 });
    expect([after.orphans.count, after.missingBytes.count, after.trashMismatches.count]).to.deep.equal([0, 0, 0]);
    const garbage = (await readdir(folderPath)).filter((name) => name.startsWith('purge-'));
    expect(garbage.length, 'garbage left').to.be.at.most(Math.ceil(after.repaired.removedBytes / 100));
    // A kill between a level's delete and its count is the one window the counters have; --repair closes it.
    expect((await api('GET', '/users/me/usage', { baseUrl, token: user.token })).body).to.deep.equal({ used: 0, quota: QUOTA, trash: 0, files: 0 });
  });
});
