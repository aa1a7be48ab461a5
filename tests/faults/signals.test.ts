import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { appEnv, ROOT } from '../../scripts/lib/processes';
import { freePort, startServices, type Services } from '../../scripts/lib/services';
import { NpmScript, STACK_FRAME, waitForAllGone } from '../support/processTree';

/**
 * systemd, Docker, CI runners and `kill <pid>` send SIGTERM to npm; a terminal's Ctrl-C sends
 * SIGINT to its whole process group, and closing the terminal SIGHUP. Either way every long-running npm script stops everything it
 * started, within the graceful-stop time, and prints no stack trace on the way.
 */

const GRACEFUL_STOP_MS = 15_000;
/** One of each way a stop arrives; SIGINT to npm alone, or SIGTERM to the group, take the same paths as these. */
const CASES: [NodeJS.Signals, 'npm' | 'group'][] = [
  // A service manager, CI, `kill <pid>`.
  ['SIGTERM', 'npm'],
  // Ctrl-C.
  ['SIGINT', 'group'],
  // A closed terminal.
  ['SIGHUP', 'group'],
];

describe('npm scripts and signals', function () {
  this.timeout(180_000);
  this.slow(20_000);
  let services: Services;
  const folders: string[] = [];
  const started: NpmScript[] = [];

  const folder = (): string => {
    const made = mkdtempSync(path.join(os.tmpdir(), 'files-manager-signals-'));
    folders.push(made);
    return made;
  };

  before(async function () {
    this.timeout(300_000);
    // npm start and npm run worker run the build.
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
    services = await startServices({ prefix: '' }, {});
  });

  after(async () => {
    for (const script of started) script.killTree();
    await services?.stop();
    for (const made of folders) rmSync(made, { recursive: true, force: true });
  });

  /** Starts `script`, waits until it prints each of `ready`, signals it, and checks what is left. */
  async function stopsCleanly(script: string, env: Record<string, string>, ready: string[], [signal, target]: [NodeJS.Signals, 'npm' | 'group']): Promise<void> {
    const npm = new NpmScript(script, env);
    started.push(npm);
    for (const text of ready) await npm.waitForOutput(text);
    const tree = npm.tree();
    npm.signal(signal, target);
    await waitForAllGone(tree, GRACEFUL_STOP_MS);
    // npm does not handle SIGHUP and dies of it; what it started still stops on its own.
    const exit = await npm.exited;
    if (signal === 'SIGHUP') expect(exit.signal ?? exit.code, npm.output).to.be.oneOf(['SIGHUP', 0]);
    else expect(exit.code, npm.output).to.equal(0);
    expect(npm.output, 'a stack trace').not.to.match(STACK_FRAME);
    expect(npm.output).not.to.match(/ECONNREFUSED|connection lost/i);
  }

  for (const signalCase of CASES) {
    const [signal, target] = signalCase;
    const to = target === 'npm' ? 'to npm' : "to npm's process group";

    it(`npm run dev: ${signal} ${to} stops the server, the worker, then the database and Redis`, async () => {
      const env = { DEV_DIR: folder(), PORT: String(await freePort()) };
      await stopsCleanly('dev', env, ['Server running on port', 'Worker processing'], signalCase);
    });

    it(`npm start: ${signal} ${to} stops the server`, async () => {
      const port = await freePort();
      const env = appEnv({ port, dbUrl: services.dbUrl, dbName: 'files_manager_signals', redisUrl: services.redisUrl, folderPath: folder() });
      await stopsCleanly('start', env, ['Server running on port'], signalCase);
    });

    it(`npm run worker: ${signal} ${to} stops the worker`, async () => {
      const env = appEnv({ port: 0, dbUrl: services.dbUrl, dbName: 'files_manager_signals', redisUrl: services.redisUrl, folderPath: folder() });
      await stopsCleanly('worker', env, ['Worker processing'], signalCase);
    });
  }

  it('npm run services: SIGINT to its process group stops the database and Redis', async () => {
    await stopsCleanly('services', { DEV_DIR: folder() }, ['export REDIS_URL='], ['SIGINT', 'group']);
  });
});
