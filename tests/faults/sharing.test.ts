import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { appEnv, type AppProcess, startServerProcess } from '../../scripts/lib/processes';
import { freePort, startServices, type Services } from '../../scripts/lib/services';
import { api, base64, createUser, expectError, type TestUser, upload } from '../support';

/**
 * Sharing on a deployment of several server processes: one database, one Redis, one folder.
 * A URL signed by any server must work on every other, whether the key is URL_SIGNING_SECRET or
 * the one the first server to need it made, however many servers needed it at once; a link's
 * download limit must hold whichever servers the downloads reach.
 */

let services: Services;
const folders: string[] = [];
const servers: AppProcess[] = [];

/** A deployment of its own: a database no server has signed with yet, and a folder. */
function newDeployment(): { dbName: string; folderPath: string } {
  const folderPath = mkdtempSync(path.join(os.tmpdir(), 'files-manager-signed-'));
  folders.push(folderPath);
  return { dbName: `files_manager_signed_${randomBytes(4).toString('hex')}`, folderPath };
}

async function startServer(deployment: { dbName: string; folderPath: string }, extra: Record<string, string> = {}): Promise<string> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = { ...appEnv({ port, dbUrl: services.dbUrl, redisUrl: services.redisUrl, ...deployment }), ...extra };
  servers.push(await startServerProcess(baseUrl, { env }));
  return baseUrl;
}

async function signOn(baseUrl: string, user: TestUser, fileId: string): Promise<URL> {
  const answer = await api('POST', `/files/${fileId}/url`, { baseUrl, token: user.token, json: {} });
  expect(answer.status, answer.text).to.equal(200);
  return new URL((answer.body as { url: string }).url);
}

/** The URL's path and query, asked of `baseUrl` with no token. */
function fetchOn(baseUrl: string, url: URL) {
  return api('GET', `${url.pathname}${url.search}`, { baseUrl });
}

async function privateFileOn(baseUrl: string): Promise<{ user: TestUser; id: string; content: Buffer }> {
  const user = await createUser({ baseUrl });
  const content = randomBytes(4096);
  const file = await upload(user.token, { name: 'private.bin', type: 'file', data: base64(content) }, { baseUrl });
  return { user, id: file.id, content };
}

describe('faults: signed URLs and links across the servers of a deployment', function () {
  this.timeout(60_000);
  this.slow(10_000);

  before(async () => {
    services = await startServices({ prefix: '' }, {});
  });

  after(async () => {
    await Promise.all(servers.map((server) => server.kill()));
    await services?.stop();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  it('accepts on every server the URLs of every other, when all of them made the key at once', async () => {
    // Each of the three makes the key on its first URL.
    const deployment = newDeployment();
    const nodes = await Promise.all([startServer(deployment), startServer(deployment), startServer(deployment)]);
    const { user, id, content } = await privateFileOn(nodes[0]);
    const urls = await Promise.all(nodes.map((node) => signOn(node, user, id)));
    for (const [signer, url] of urls.entries()) {
      for (const node of nodes) {
        const served = await fetchOn(node, url);
        expect(served.status, `signed on server ${signer}, read on ${node}`).to.equal(200);
        expect(served.bytes.equals(content)).to.equal(true);
      }
    }
  });

  it('shares URL_SIGNING_SECRET, and a server with another secret refuses the others’ URLs', async () => {
    const deployment = newDeployment();
    const secret = { URL_SIGNING_SECRET: randomBytes(24).toString('hex') };
    const [a, b, other] = await Promise.all([
      startServer(deployment, secret),
      startServer(deployment, secret),
      startServer(deployment, { URL_SIGNING_SECRET: randomBytes(24).toString('hex') }),
    ]);
    const { user, id } = await privateFileOn(a);
    const url = await signOn(a, user, id);
    expect((await fetchOn(b, url)).status).to.equal(200);
    expectError(await fetchOn(other, url), 403, 'Invalid signature');
  });

  it('gives the bytes to exactly maxDownloads of 20 parallel downloads spread over two servers', async () => {
    const deployment = newDeployment();
    const [a, b] = await Promise.all([startServer(deployment), startServer(deployment)]);
    const { user, id, content } = await privateFileOn(a);
    const created = await api('POST', `/files/${id}/links`, { baseUrl: a, token: user.token, json: { maxDownloads: 3 } });
    expect(created.status, created.text).to.equal(201);
    const { pathname } = new URL((created.body as { url: string }).url);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, index) => api('GET', pathname, { baseUrl: index % 2 === 0 ? a : b })));
    const served = answers.filter((answer) => answer.status === 200);
    expect(served.length).to.equal(3);
    for (const answer of served) expect(answer.bytes.equals(content)).to.equal(true);
    for (const answer of answers.filter((each) => each.status !== 200)) expectError(answer, 404, 'Not found');
  });
});
