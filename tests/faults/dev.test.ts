import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { isProcessRunning } from '../../utils/lifecycle';
import { DEV_SERVICES_FILE } from '../../scripts/lib/devServices';
import { AppProcess } from '../../scripts/lib/processes';
import { freePort } from '../../scripts/lib/services';
import { waitUntil } from '../../scripts/lib/wait';

/** Every process below `pid`, children first. */
function descendants(pid: number): number[] {
  let children: number[];
  try {
    children = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    children = [];
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

describe('npm run dev', function () {
  this.timeout(180_000);
  this.slow(30_000);
  let dev: AppProcess | undefined;
  let folder: string;

  before(() => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'files-manager-dev-test-'));
  });

  after(async () => {
    await dev?.kill();
    rmSync(folder, { recursive: true, force: true });
  });

  it('runs the API and the worker on private services, restarts a crashed child, lends its services to the scripts, and stops everything on SIGTERM', async () => {
    const port = await freePort();
    // Its own database in dev's data folder, and its own FOLDER_PATH, so a developer's dev data stays apart.
    dev = new AppProcess('scripts/dev', { env: { PORT: String(port), DB_DATABASE: 'files_manager_dev_test', FOLDER_PATH: folder } });
    const running = dev;
    await running.waitForOutput('Server running on port', 120_000);
    await running.waitForOutput('Worker processing', 60_000);
    const status = await fetch(`http://127.0.0.1:${port}/status`);
    expect(await status.json()).to.deep.equal({ redis: true, db: true });

    const published = JSON.parse(readFileSync(DEV_SERVICES_FILE, 'utf8')) as { env: { REDIS_URL: string } };
    expect(published.env.REDIS_URL, 'a private Redis, not the machine-wide one').not.to.equal('redis://127.0.0.1:6379');

    const family = descendants(running.pid);
    const worker = family.find((pid) => commandOf(pid).includes('worker.ts'));
    expect(worker, `a worker among ${family.map(commandOf).join(' | ')}`).to.be.a('number');
    process.kill(worker as number, 'SIGKILL');
    await running.waitForOutput('worker exited', 10_000);
    await waitUntil('a new worker', () => descendants(running.pid).some((pid) => pid !== worker && commandOf(pid).includes('worker.ts')), 30_000);

    // A script started with nothing set finds dev's services.
    const backfill = new AppProcess('scripts/backfill-thumbnails', { env: {} });
    const exit = await backfill.exited;
    expect(exit.code, backfill.output).to.equal(0);
    expect(backfill.output).to.include('thumbnail jobs queued');

    const everything = descendants(running.pid);
    running.signal('SIGTERM');
    expect((await running.exited).code).to.equal(0);
    await waitUntil('every child to be gone', () => everything.every((pid) => !isProcessRunning(pid)), 10_000);
    expect(existsSync(DEV_SERVICES_FILE)).to.equal(false);
  });
});
