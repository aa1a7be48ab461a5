import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { appEnv, type AppProcess, startServerProcess } from '../../scripts/lib/processes';
import { freePort, startServices, type Services } from '../../scripts/lib/services';
import { findOrStartS3, s3Env, type S3Service } from '../../scripts/lib/versitygw';
import { sleep, waitUntil } from '../../scripts/lib/wait';
import { loadConfig } from '../../utils/config';
import { api, createUser, download, sha256, StreamingRequest, type TestUser } from '../support';
import { closeStagingClients, MIB, offsetOf, stagedBytes, type StagingSettings, TUS_VERSION, tusUpload } from '../support/tus';

/**
 * Resumable uploads when servers die and when several serve one deployment: real server
 * processes on private services, on the local disk and on a bucket. A tus client must be able to
 * finish its upload after a crash, and on any server of the deployment.
 */

let services: Services;
let s3: S3Service;
const servers: AppProcess[] = [];
const folders: string[] = [];

interface Node {
  baseUrl: string;
  env: Record<string, string>;
  server: AppProcess;
}

function privateFolder(): string {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'files-manager-resumable-'));
  folders.push(folder);
  return folder;
}

async function startNode(driver: 'local' | 's3', folderPath: string): Promise<Node> {
  const port = await freePort();
  const env = appEnv({ port, dbUrl: services.dbUrl, dbName: `files_manager_resumable_${driver}`, redisUrl: services.redisUrl, folderPath });
  if (driver === 's3') Object.assign(env, s3Env(s3, 'resumable/'));
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = await startServerProcess(baseUrl, { env });
  servers.push(server);
  return { baseUrl, env, server };
}

async function restart(node: Node): Promise<void> {
  node.server = await startServerProcess(node.baseUrl, { env: node.env });
  servers.push(node.server);
}

function tusOptions(node: Node, user: TestUser, chunkSize: number) {
  return { endpoint: `${node.baseUrl}/uploads`, headers: { 'X-Token': user.token }, chunkSize, metadata: { name: 'big.bin', type: 'file' } };
}

/** The same upload, addressed to another server of the deployment. */
function on(node: Node, url: string): string {
  const { pathname } = new URL(url);
  return `${node.baseUrl}${pathname}`;
}

/** The file has the content's size and SHA-256, and `node` serves exactly those bytes. */
async function expectFile(node: Node, user: TestUser, fileId: string | undefined, content: Buffer): Promise<void> {
  expect(fileId).to.match(/^[0-9a-f]{24}$/);
  const shown = await api('GET', `/files/${fileId}?fields=all`, { baseUrl: node.baseUrl, token: user.token });
  expect(shown.status, shown.text).to.equal(200);
  expect(shown.body).to.include({ size: content.length, sha256: sha256(content) });
  const served = await download(fileId as string, { baseUrl: node.baseUrl, token: user.token });
  expect(served.status).to.equal(200);
  expect(sha256(served.bytes), 'SHA-256 of the bytes served').to.equal(sha256(content));
}

describe('faults: resumable uploads across crashes and servers', function () {
  this.timeout(120_000);
  this.slow(15_000);

  before(async function () {
    // The first run on a machine builds versitygw: minutes with empty Go caches.
    this.timeout(10 * 60_000);
    [services, s3] = await Promise.all([startServices({ prefix: '' }, {}), findOrStartS3('TEST_')]);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') for (const server of servers.slice(-3)) console.error(`--- server ${server.pid} ---\n${server.output.slice(-3000)}`);
  });

  after(async () => {
    await Promise.all(servers.map((server) => server.kill()));
    closeStagingClients();
    await s3?.dispose();
    await services?.stop();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  for (const driver of ['local', 's3'] as const) {
    describe(`on the ${driver} driver`, () => {
      let a: Node;
      let b: Node;
      let staging: StagingSettings;

      before(async () => {
        // Two servers of one deployment: one database, one Redis, one folder or bucket (each S3 node has a disk of its own).
        const shared = privateFolder();
        [a, b] = await Promise.all([startNode(driver, shared), startNode(driver, driver === 'local' ? shared : privateFolder())]);
        staging = loadConfig(a.env);
      });

      it('continues an upload begun on one server on a second, and back, to the right SHA-256', async () => {
        const user = await createUser({ baseUrl: a.baseUrl });
        const content = randomBytes(7 * MIB + 777);
        const before = await stagedBytes(staging);
        const begun = await tusUpload(content, tusOptions(a, user, MIB), 3 * MIB);
        expect(await offsetOf(on(b, begun.url), user.token), 'the offset, as the second server sees it').to.equal(3 * MIB);

        const continued = await tusUpload(content, { ...tusOptions(b, user, 2 * MIB), uploadUrl: on(b, begun.url) }, 5 * MIB);
        expect(continued.chunks).to.deep.equal([2 * MIB]);
        const finished = await tusUpload(content, { ...tusOptions(a, user, MIB), uploadUrl: begun.url });
        expect(finished.chunks).to.deep.equal([MIB, MIB, 777]);
        await expectFile(a, user, finished.fileId, content);
        await expectFile(b, user, finished.fileId, content);
        const head = await api('HEAD', new URL(begun.url).pathname, { baseUrl: b.baseUrl, token: user.token, headers: { 'Tus-Resumable': TUS_VERSION } });
        expect(head.headers.get('file-id'), 'File-Id, from the other server').to.equal(finished.fileId);
        expect(await stagedBytes(staging), 'staged bytes once complete').to.deep.equal(before);
      });

      it('finishes an upload whose server was SIGKILLed in the middle of a PATCH, once it is back, to the right SHA-256', async () => {
        const user = await createUser({ baseUrl: a.baseUrl });
        const content = randomBytes(7 * MIB + 333);
        const before = await stagedBytes(staging);
        const begun = await tusUpload(content, tusOptions(a, user, MIB), 2 * MIB);
        expect(await offsetOf(begun.url, user.token)).to.equal(2 * MIB);

        // The rest in one PATCH, of which the server receives 2 MiB before it dies.
        const rest = content.subarray(2 * MIB);
        const cut = new StreamingRequest('PATCH', new URL(begun.url).pathname, {
          baseUrl: a.baseUrl,
          token: user.token,
          headers: { 'Tus-Resumable': TUS_VERSION, 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': String(2 * MIB), 'Content-Length': String(rest.length) },
        });
        await cut.write(rest.subarray(0, 2 * MIB));
        if (driver === 'local') {
          await waitUntil('the PATCH to reach the disk', async () => (await stagedBytes(staging)).some((entry) => Number(entry.split(' ').pop()) > 3 * MIB), 10_000, 20);
        } else {
          await sleep(500);
        }
        await a.server.kill('SIGKILL');
        const outcome = await cut.response.then(
          (reply) => reply.status,
          () => 'reset',
        );
        expect(outcome, 'the PATCH cut by the crash').to.equal('reset');

        await restart(a);
        const offset = await offsetOf(begun.url, user.token);
        expect(offset, 'the offset after the crash: what was recorded before it, or what had arrived').to.be.within(2 * MIB, 4 * MIB);
        // The dead server's hold on the upload lapses by itself; meanwhile PATCH answers 423, which tus clients retry.
        const started = Date.now();
        const finished = await tusUpload(content, { ...tusOptions(a, user, MIB), uploadUrl: begun.url, retryDelays: [250, 500, 1000, 2000, 3000, 4000, 5000] });
        const resumedIn = Date.now() - started;
        expect(finished.statuses.filter((status) => status >= 500), 'server errors while resuming').to.deep.equal([]);
        expect(resumedIn, 'ms to finish after the restart').to.be.below(20_000);
        await expectFile(a, user, finished.fileId, content);
        await expectFile(b, user, finished.fileId, content);
        expect(await stagedBytes(staging), 'staged bytes once complete').to.deep.equal(before);
      });
    });
  }
});
