import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { devServicesFile, type DevInstance } from '../../scripts/lib/devServices';
import { AppProcess, startServerProcess } from '../../scripts/lib/processes';
import { freePort, startServices } from '../../scripts/lib/services';
import { waitUntil } from '../../scripts/lib/wait';
import { EXIT_CANNOT_START, isProcessRunning } from '../../utils/lifecycle';
import { commandOf, descendants, NpmScript, STACK_FRAME, waitForAllGone } from '../support/processTree';

async function logIn(baseUrl: string, email: string): Promise<string> {
  const connect = await fetch(`${baseUrl}/connect`, { headers: { Authorization: `Basic ${Buffer.from(`${email}:pw`).toString('base64')}` } });
  return ((await connect.json()) as { token: string }).token;
}

/** Sign up, log in, upload one small file ("hello"); its id and its owner. */
async function uploadOne(baseUrl: string): Promise<{ id: string; email: string }> {
  const email = `dev-${Date.now()}@example.com`;
  await fetch(`${baseUrl}/users`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password: 'pw' }) });
  const created = await fetch(`${baseUrl}/files`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Token': await logIn(baseUrl, email) },
    body: JSON.stringify({ name: 'hello.txt', type: 'file', data: Buffer.from('hello').toString('base64') }),
  });
  expect(created.status).to.equal(201);
  return { id: ((await created.json()) as { id: string }).id, email };
}

function published(devDir: string): DevInstance {
  return JSON.parse(readFileSync(devServicesFile({ DEV_DIR: devDir }), 'utf8')) as DevInstance;
}

describe('npm run dev', function () {
  this.timeout(180_000);
  this.slow(30_000);
  const folders: string[] = [];
  const started: NpmScript[] = [];
  let devDir: string;

  beforeEach(() => {
    // Never the developer's own .cache: dev's whole state goes where DEV_DIR says.
    devDir = mkdtempSync(path.join(os.tmpdir(), 'files-manager-dev-test-'));
    folders.push(devDir);
  });

  after(() => {
    for (const script of started) script.killTree();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  async function startDev(port: number, args: string[] = [], env: Record<string, string> = {}): Promise<NpmScript> {
    const dev = new NpmScript('dev', { DEV_DIR: devDir, PORT: String(port), ...env }, args);
    started.push(dev);
    await dev.waitForOutput('Server running on port', 600_000);
    await dev.waitForOutput('Worker processing');
    return dev;
  }

  async function stop(script: NpmScript): Promise<void> {
    const tree = script.tree();
    script.signal('SIGTERM', 'npm');
    await waitForAllGone(tree, 15_000);
    expect(script.output, 'a stack trace').not.to.match(STACK_FRAME);
  }

  it('runs the API and the worker on private services with its data in DEV_DIR, restarts a crashed child, lends its services to the scripts', async () => {
    const port = await freePort();
    const dev = await startDev(port);
    const status = await fetch(`http://127.0.0.1:${port}/status`);
    expect(await status.json()).to.deep.equal({ redis: true, db: true });
    const { id } = await uploadOne(`http://127.0.0.1:${port}`);

    const instance = published(devDir);
    expect(instance.env.REDIS_URL, 'a private Redis, not the machine-wide one').not.to.equal('redis://127.0.0.1:6379');
    const files = path.join(devDir, 'dev-data', 'files');
    expect(instance.env.FOLDER_PATH).to.equal(files);
    expect(readdirSync(files).filter((name) => !name.startsWith('.')), 'the bytes, in the checkout').to.have.length(1);
    expect(readdirSync(path.join(devDir, 'dev-data')).some((name) => name.endsWith('.sqlite')), 'the database beside them').to.equal(true);

    const family = descendants(dev.pid);
    const worker = family.find((pid) => commandOf(pid).includes('worker.ts'));
    expect(worker, `a worker among ${family.map(commandOf).join(' | ')}`).to.be.a('number');
    process.kill(worker as number, 'SIGKILL');
    await dev.waitForOutput('worker exited', 10_000);
    await waitUntil('a new worker', () => descendants(dev.pid).some((pid) => pid !== worker && commandOf(pid).includes('worker.ts')), 30_000);

    // A script started with nothing set but DEV_DIR finds dev's services, and its store.
    const fsck = new AppProcess('scripts/fsck', { env: { DEV_DIR: devDir } });
    expect((await fsck.exited).code, fsck.output).to.equal(0);
    expect(fsck.output).to.include('the store is consistent');
    expect(id).to.be.a('string');

    await stop(dev);
    expect(existsSync(devServicesFile({ DEV_DIR: devDir })), 'its services file, removed').to.equal(false);
  });

  it('refuses a second dev on the same data in one line, and says so in one line when the port is taken', async () => {
    const port = await freePort();
    const first = await startDev(port);
    // On the same port, as a second `npm run dev` would be: the cause named is the running dev, not the port.
    const second = new NpmScript('dev', { DEV_DIR: devDir, PORT: String(port) });
    started.push(second);
    const holder = published(devDir).pid;
    expect((await second.exited).code).to.equal(EXIT_CANNOT_START);
    expect(second.output.trim()).to.equal(`dev: npm run dev is already running in this checkout (pid ${holder}, http://localhost:${port}): use that one, or stop it first`);
    expect(published(devDir).pid, 'the first keeps its file').to.equal(holder);
    expect((await fetch(`http://127.0.0.1:${port}/status`)).status, 'and keeps running').to.equal(200);
    await stop(first);

    const blocker = net.createServer().listen(port);
    await new Promise((resolve) => blocker.once('listening', resolve));
    try {
      const busy = new NpmScript('dev', { DEV_DIR: devDir, PORT: String(port) });
      started.push(busy);
      expect((await busy.exited).code).to.equal(EXIT_CANNOT_START);
      expect(busy.output.trim()).to.equal(`dev: port ${port} is in use by another program: run with another, e.g. PORT=${port + 1} npm run dev`);
    } finally {
      blocker.close();
    }
  });

  it('pointed at another database, says in one line that the store is not its own, and stops instead of restarting', async () => {
    await stop(await startDev(await freePort()));
    const other = await startServices({ prefix: '' }, {});
    try {
      // Another name: a database of dev's own name that has no identity yet would take the store back (docs/design.md).
      const dev = new NpmScript('dev', { DEV_DIR: devDir, PORT: String(await freePort()), DB_URL: other.dbUrl, DB_DATABASE: 'another_deployment' });
      started.push(dev);
      expect((await dev.exited).code, dev.output).to.equal(EXIT_CANNOT_START);
      expect(dev.output).to.match(/belongs to another deployment/);
      expect(dev.output).to.include('cannot start; stopping');
      expect(dev.output).not.to.include('restarting in');
      expect(dev.output).not.to.match(STACK_FRAME);
    } finally {
      await other.stop();
    }
  });

  it('stops the services a killed dev left running when it next starts', async () => {
    const dev = await startDev(await freePort());
    const { servicePids } = published(devDir);
    expect(servicePids).to.have.length(2);
    for (const pid of dev.tree()) process.kill(pid, 'SIGKILL');
    await waitUntil('dev to be gone', () => !dev.running, 10_000);
    expect(servicePids.every(isProcessRunning), 'its services, in their own process groups, outlive a SIGKILL').to.equal(true);
    const next = await startDev(await freePort());
    await waitForAllGone(servicePids, 10_000);
    await stop(next);
  });

  it('npm run services starts the database and Redis alone; their exports run the server; dev uses them', async () => {
    const services = new NpmScript('services', { DEV_DIR: devDir });
    started.push(services);
    await services.waitForOutput('# Ctrl-C here stops them.');
    const exported: Record<string, string> = {};
    for (const [, name = '', value = ''] of services.output.matchAll(/^export (\w+)=(\S+)$/gm)) exported[name] = value;
    expect(Object.keys(exported)).to.have.members(['DB_URL', 'REDIS_URL', 'FOLDER_PATH']);

    const port = await freePort();
    const server = await startServerProcess(`http://127.0.0.1:${port}`, { env: { ...exported, PORT: String(port) } });
    await uploadOne(`http://127.0.0.1:${port}`);
    await server.stop();

    const devPort = await freePort();
    const dev = await startDev(devPort);
    expect(dev.output).to.include(`dev: using the services of npm run services (pid`);
    const status = await fetch(`http://127.0.0.1:${devPort}/status`);
    expect(await status.json()).to.deep.equal({ redis: true, db: true });
    await stop(dev);
    expect(services.running, 'stopping dev leaves the services it borrowed').to.equal(true);
    const tree = services.tree();
    services.signal('SIGINT', 'group');
    await waitForAllGone(tree, 15_000);
  });

  it('npm run dev -- --s3 keeps the bytes in a local S3 server, and nothing on the disk', async function () {
    // The first run on a machine builds versitygw: minutes with empty Go caches.
    this.timeout(10 * 60_000);
    const port = await freePort();
    const dev = await startDev(port, ['--s3']);
    const instance = published(devDir);
    expect(instance.env.STORAGE).to.equal('s3');
    const uploaded = await uploadOne(`http://127.0.0.1:${port}`);
    const files = path.join(devDir, 'dev-data', 'files');
    expect(existsSync(files) ? readdirSync(files).filter((name) => !name.startsWith('.')) : []).to.deep.equal([]);
    const bucket = path.join(devDir, 'dev-data', 's3', instance.env.S3_BUCKET ?? '');
    expect(readdirSync(bucket).filter((name) => !name.startsWith('.')), 'one object in the bucket').to.have.length(1);
    await stop(dev);

    // The bucket is kept, and so are the keys of the account that owns it; a run without --s3
    // still needs it, since the document names it.
    const again = await startDev(port);
    expect(again.output).to.include('holds a bucket from an earlier --s3 run');
    // Redis started empty: log in again.
    const token = await logIn(`http://127.0.0.1:${port}`, uploaded.email);
    const content = await fetch(`http://127.0.0.1:${port}/files/${uploaded.id}/data`, { headers: { 'X-Token': token } });
    expect(content.status).to.equal(200);
    expect(await content.text()).to.equal('hello');
    await stop(again);
  });
});
