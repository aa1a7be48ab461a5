import { expect } from 'chai';
import sharp from 'sharp';
import { AppProcess, startWorkerProcess } from '../../scripts/lib/processes';
import { createUser, download, harness, makeImage, upload, waitFor, base64 } from '../support';

const THUMBNAIL_DEADLINE_MS = 60_000;

describe('end to end: the worker process', () => {
  let worker: AppProcess | undefined;

  afterEach(async () => {
    await worker?.kill();
    worker = undefined;
  });

  it('makes all three thumbnails of an image uploaded over HTTP, welcomes the user, and exits 0 on SIGTERM', async function () {
    this.timeout(THUMBNAIL_DEADLINE_MS + 30_000);
    // The real worker.ts, in its own process, on the services and folder the in-process app uses.
    const running = await startWorkerProcess({ env: harness().env });
    worker = running;
    const user = await createUser();
    const original = await makeImage(1000, 500, 'png');
    const image = await upload(user.token, { name: 'landscape.png', type: 'image', data: base64(original) });

    const alive = (): void => {
      if (!running.running) throw new Error(`the worker exited:\n${running.output}`);
    };
    for (const size of [500, 250, 100]) {
      const thumbnail = await waitFor(
        `the ${size} px thumbnail`,
        async () => {
          alive();
          const response = await download(image.id, { token: user.token, size });
          return response.status === 200 ? response.bytes : undefined;
        },
        THUMBNAIL_DEADLINE_MS,
        250,
      );
      const metadata = await sharp(thumbnail).metadata();
      expect(metadata).to.include({ format: 'png', width: size, height: size / 2 });
    }
    await running.waitForOutput(`Welcome ${user.email}!\n`);

    const exit = await running.stop();
    expect(exit, running.output).to.deep.equal({ code: 0, signal: null });
  });
});
