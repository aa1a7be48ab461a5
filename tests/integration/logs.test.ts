import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import Queue from 'bull';
import { expect } from 'chai';
import { sleep } from '../../scripts/lib/wait';
import { processFileJob } from '../../utils/jobs/processors';
import { queues, type FileJobData } from '../../utils/queues';
import { RedisClient } from '../../utils/redis';
import { api, base64, captureOutput, createUser, harness, upload, uploadRaw, waitFor, type PublicFileBody } from '../support';

const runFile = promisify(execFile);

describe('what the service logs', () => {
  it('logs one line, and no stack trace, when a client goes away mid-download', async () => {
    const user = await createUser();
    const uploaded = await uploadRaw(user.token, { name: 'big.bin', type: 'file' }, randomBytes(16 * 1024 * 1024));
    const { id } = uploaded.body as PublicFileBody;
    const lines = await captureOutput(async () => {
      await new Promise<void>((resolve, reject) => {
        const request = http.get(`${harness().baseUrl}/files/${id}/data`, { headers: { 'X-Token': user.token } }, (response) => {
          response.once('data', () => {
            request.destroy();
            resolve();
          });
        });
        request.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? resolve() : reject(error)));
      });
      // Time for the server to notice, and for a second line to show, were there one.
      await sleep(300);
    });
    const relevant = lines.filter((line) => line.includes(`/files/${id}/data`) || /^\s+at /.test(line) || /Error/.test(line));
    expect(relevant).to.have.length(1);
    expect(relevant[0]).to.match(/client went away/);
  });

  it('never logs a shared link’s token, nor its password', async () => {
    const user = await createUser();
    const uploaded = await uploadRaw(user.token, { name: 'big.bin', type: 'file' }, randomBytes(16 * 1024 * 1024));
    const { id } = uploaded.body as PublicFileBody;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const created = await api('POST', `/files/${id}/links`, { token: user.token, json: { password } });
    const { url } = created.body as { url: string };
    const linkToken = url.slice(url.lastIndexOf('/') + 1);
    const lines = await captureOutput(async () => {
      await new Promise<void>((resolve, reject) => {
        const request = http.get(url, { headers: { 'X-Link-Password': password } }, (response) => {
          response.once('data', () => {
            request.destroy();
            resolve();
          });
        });
        request.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? resolve() : reject(error)));
      });
      await sleep(300);
    });
    expect(lines.some((line) => line.includes('GET /s/…: the client went away')), lines.join('\n')).to.equal(true);
    expect(lines.filter((line) => line.includes(linkToken) || line.includes(password))).to.deep.equal([]);
  });

  it('logs nothing when curl closes the connection as soon as it has every byte of a download', async () => {
    const user = await createUser();
    const uploaded = await uploadRaw(user.token, { name: 'small.txt', type: 'file' }, Buffer.from('Hello Webstack!\n'));
    const { id } = uploaded.body as PublicFileBody;
    const lines = await captureOutput(async () => {
      for (let attempt = 0; attempt < 5; attempt += 1) {
        // Asynchronously: the server answering it runs in this process.
        const { stdout } = await runFile('curl', ['-sS', '-H', `X-Token: ${user.token}`, `${harness().baseUrl}/files/${id}/data`], { encoding: 'utf8' });
        expect(stdout).to.equal('Hello Webstack!\n');
      }
      await sleep(300);
    });
    expect(lines.filter((line) => line.includes(`/files/${id}/data`))).to.deep.equal([]);
  });

  it('logs a lost Redis connection as one line with its reason, no stack trace, however many reconnects fail', async () => {
    const redis = new URL(harness().services.redisUrl);
    // A hop of the test's own between the client and Redis, so the connection can be cut.
    const sockets = new Set<net.Socket>();
    const relay = net.createServer((socket) => {
      const upstream = net.connect(Number(redis.port), redis.hostname);
      for (const end of [socket, upstream]) sockets.add(end.on('error', () => undefined));
      socket.pipe(upstream).pipe(socket);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const client = new RedisClient();
    try {
      await client.connect(`redis://127.0.0.1:${(relay.address() as AddressInfo).port}`);
      const lines = await captureOutput(async () => {
        relay.close();
        for (const socket of sockets) socket.destroy();
        await waitFor('the client to notice', () => Promise.resolve(client.isAlive() ? undefined : true), 5000, 20);
        // Time for reconnects to fail, each a line were it logged.
        await sleep(1000);
      });
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(/^Redis connection lost: \S/);
    } finally {
      relay.close();
      await client.close();
    }
  });

  it('logs a job that can never succeed once, as discarded, not as an attempt of several', async () => {
    const user = await createUser();
    const image = await upload(user.token, { name: 'broken.png', type: 'image', data: base64(randomBytes(2048)) });
    const queue = new Queue<FileJobData>(`discard-test-${randomBytes(6).toString('hex')}`, harness().services.redisUrl);
    try {
      const lines = await captureOutput(async () => {
        queues.consume(queue, 1, processFileJob, () => undefined);
        const job = await queue.add({ fileId: image.id, userId: image.userId }, { attempts: 4, backoff: { type: 'fixed', delay: 50 }, removeOnFail: false });
        await waitFor('the job to fail', async () => ((await job.isFailed()) ? true : undefined), 15_000, 20);
        // Time for a retry to show, were there one.
        await sleep(300);
      });
      const about = lines.filter((line) => line.includes(queue.name));
      expect(about).to.have.length(1);
      expect(about[0]).to.match(/discarded: Cannot decode image/);
      expect(about[0]).not.to.match(/attempt/);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
