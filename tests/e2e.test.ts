import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import sharp from 'sharp';
import { harness } from './harness';
import { base64, createUser, makeImage, upload, waitFor } from './helpers';

const ROOT = path.resolve(__dirname, '..');
const THUMBNAIL_DEADLINE_MS = 60_000;

interface RunningWorker {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** The real worker.ts, in its own process, on the services and folder the in-process app uses. */
function startWorker(): RunningWorker {
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'ts-node'), ['worker.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...harness().env,
      // Type checking is `npm run typecheck`'s job; skipping it here saves most of the start-up time.
      TS_NODE_TRANSPILE_ONLY: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('end to end: the worker process', () => {
  let worker: RunningWorker | undefined;

  afterEach(async () => {
    if (worker !== undefined && worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    worker = undefined;
  });

  it('makes all three thumbnails of an image uploaded over HTTP, welcomes the user, and exits 0 on SIGTERM', async function () {
    this.timeout(THUMBNAIL_DEADLINE_MS + 30_000);
    const running = startWorker();
    worker = running;
    const user = await createUser();
    const original = await makeImage(1000, 500, 'png');
    const image = await upload(user.token, { name: 'landscape.png', type: 'image', data: base64(original) });

    const alive = (): void => {
      if (running.child.exitCode !== null) throw new Error(`the worker exited with ${running.child.exitCode}:\n${running.output()}`);
    };
    for (const size of [500, 250, 100]) {
      const thumbnail = await waitFor(
        `the ${size} px thumbnail`,
        async () => {
          alive();
          const response = await fetch(`${harness().baseUrl}/files/${image.id}/data?size=${size}`, { headers: { 'X-Token': user.token } });
          return response.status === 200 ? Buffer.from(await response.arrayBuffer()) : undefined;
        },
        THUMBNAIL_DEADLINE_MS,
        250,
      );
      const metadata = await sharp(thumbnail).metadata();
      expect(metadata).to.include({ format: 'png', width: size, height: size / 2 });
    }
    await waitFor(`"Welcome ${user.email}!" in the worker's output`, () => {
      alive();
      return Promise.resolve(running.output().includes(`Welcome ${user.email}!\n`) ? true : undefined);
    });

    running.child.kill('SIGTERM');
    const code = await Promise.race([
      running.exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit within 20 s after SIGTERM:\n${running.output()}`)), 20_000).unref()),
    ]);
    expect(code, running.output()).to.equal(0);
  });
});
