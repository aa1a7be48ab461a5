import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { expect } from 'chai';
import { LINGER_LIMITS } from '../../routes/lingeringClose';
import { createUser, harness, withConfig, type TestUser } from '../support';

/**
 * An answer sent before the body is read (no token, over the limit, bad JSON) must reach the
 * client as a whole response, whichever client sends the body, and a body that never ends must
 * not be read forever.
 */

const BODY_BYTES = 50 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'A');
const SMALL_LIMIT = 1024 * 1024;

/** `prefix`, then 'A's up to `total` bytes, made as they are read so the body is never in memory. */
function body(total: number, prefix = ''): Readable {
  let sent = 0;
  let head: Buffer | undefined = Buffer.from(prefix);
  return new Readable({
    read() {
      if (head !== undefined) {
        sent += head.length;
        this.push(head);
        head = undefined;
      }
      if (sent >= total) {
        this.push(null);
        return;
      }
      const chunk = CHUNK.subarray(0, Math.min(CHUNK.length, total - sent));
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

interface Answer {
  status: number;
  json: unknown;
}

interface Case {
  name: string;
  path: string;
  headers: (user: TestUser) => Record<string, string>;
  prefix: string;
  status: number;
  error: string;
}

const CASES: Case[] = [
  {
    name: '401 (no token)',
    path: '/files?name=big.bin&type=file',
    headers: () => ({ 'Content-Type': 'application/octet-stream' }),
    prefix: '',
    status: 401,
    error: 'Unauthorized',
  },
  {
    name: '413 (over UPLOAD_MAX_BYTES)',
    path: '/files?name=big.bin&type=file',
    headers: (user) => ({ 'X-Token': user.token, 'Content-Type': 'application/octet-stream' }),
    prefix: '',
    status: 413,
    error: 'Payload too large',
  },
  {
    name: '400 (JSON that goes wrong early)',
    path: '/files',
    headers: (user) => ({ 'X-Token': user.token, 'Content-Type': 'application/json' }),
    // A key with no colon after it: the reader can tell at once.
    prefix: '{"name" ',
    status: 400,
    error: 'Invalid JSON',
  },
];

/** node:http as most code uses it: the body piped in, the answer awaited; any error before it fails. */
function viaNodeHttp(path: string, headers: Record<string, string>, source: Readable, agent: http.Agent | false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const { port } = new URL(harness().baseUrl);
    const request = http.request({ host: '127.0.0.1', port: Number(port), method: 'POST', path, headers, agent });
    request.once('error', reject);
    request.once('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.once('error', reject);
      response.once('end', () => {
        // Once the answer is in, the rest of the body no longer matters to this client.
        request.off('error', reject).on('error', () => undefined);
        source.destroy();
        resolve({ status: response.statusCode ?? 0, json: JSON.parse(text) as unknown });
      });
    });
    source.pipe(request);
  });
}

/**
 * A client that writes its whole body before it reads the answer, as simple blocking clients
 * do (node:http stops sending once an answer arrives, so it cannot be one). A reset while it
 * writes fails it with EPIPE or ECONNRESET, and drops the answer its socket had not read.
 */
function sendThenRead(path: string, headers: Record<string, string>, source: Readable, connection: 'close' | 'keep-alive'): Promise<Answer> {
  const { port } = new URL(harness().baseUrl);
  const head = Object.entries({ ...headers, Host: 'test', Connection: connection, 'Transfer-Encoding': 'chunked' })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const socket = net.connect(Number(port), '127.0.0.1');
  // Nothing is read until the body is out.
  socket.pause();
  const chunked = async function* () {
    yield `POST ${path} HTTP/1.1\r\n${head}\r\n`;
    for await (const chunk of source) yield Buffer.concat([Buffer.from(`${(chunk as Buffer).length.toString(16)}\r\n`), chunk as Buffer, Buffer.from('\r\n')]);
    yield '0\r\n\r\n';
  };
  return (async () => {
    await pipeline(chunked, socket, { end: false });
    socket.end();
    const text = (await buffer(socket)).toString('utf8');
    const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1]);
    return { status, json: JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as unknown };
  })();
}

async function viaFetch(path: string, headers: Record<string, string>, source: Readable): Promise<Answer> {
  const response = await fetch(`${harness().baseUrl}${path}`, {
    method: 'POST',
    headers,
    body: Readable.toWeb(source) as ReadableStream<Uint8Array>,
    duplex: 'half',
  });
  const json: unknown = await response.json();
  source.destroy();
  return { status: response.status, json };
}

/**
 * curl streaming its standard input (`-T -`, chunked; `--data-binary @-` would read it all
 * first); a reset would make it exit non-zero.
 */
function viaCurl(path: string, headers: Record<string, string>, source: Readable): Promise<Answer> {
  const args = ['-sS', '-X', 'POST', '-T', '-', '-w', '\n%{http_code}'];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  const curl = spawn('curl', [...args, `${harness().baseUrl}${path}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  // curl stops reading its input once it has the answer.
  curl.stdin.on('error', () => undefined);
  source.pipe(curl.stdin);
  let stdout = '';
  let stderr = '';
  curl.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  curl.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    curl.once('error', reject);
    curl.once('close', (code) => {
      source.destroy();
      if (code !== 0) {
        reject(new Error(`curl exited with ${code}: ${stderr}`));
        return;
      }
      const lines = stdout.split('\n');
      const status = Number(lines.pop());
      resolve({ status, json: JSON.parse(lines.join('\n')) as unknown });
    });
  });
}

const CLIENTS: Array<{ name: string; send: (path: string, headers: Record<string, string>, source: Readable) => Promise<Answer> }> = [
  { name: 'node:http without an agent', send: (path, headers, source) => viaNodeHttp(path, headers, source, false) },
  { name: 'node:http with a keep-alive agent', send: (path, headers, source) => viaNodeHttp(path, headers, source, new http.Agent({ keepAlive: true })) },
  { name: 'fetch', send: viaFetch },
  { name: 'curl', send: viaCurl },
];

interface Cutoff {
  /** Body bytes the client managed to hand to its socket. */
  written: number;
  /** From the answer's first byte to the server's close. */
  lingeredMs: number;
  answer: string;
}

/** A raw connection that answers early and then keeps sending, every `everyMs` (0: as fast as it can), until the server closes it. */
function sendForever(user: TestUser, everyMs: number): Promise<Cutoff> {
  const { port } = new URL(harness().baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    let written = 0;
    let answer = '';
    let answeredAt: number | undefined;
    let closed = false;
    const send = (): void => {
      while (!closed) {
        written += CHUNK.length;
        if (!socket.write(CHUNK)) {
          socket.once('drain', send);
          return;
        }
        if (everyMs > 0) {
          setTimeout(send, everyMs);
          return;
        }
      }
    };
    socket.once('connect', () => {
      socket.write(`POST /files?name=x&type=file HTTP/1.1\r\nHost: test\r\nX-Token: ${user.token}\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n`);
      // One chunk that never ends: the server cannot tell this from a large upload in progress.
      socket.write(`${(2 ** 40).toString(16)}\r\n`);
      send();
    });
    socket.on('data', (chunk: Buffer) => {
      answeredAt ??= Date.now();
      answer += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      closed = true;
      if (answeredAt === undefined) reject(new Error('closed without an answer'));
      else resolve({ written, lingeredMs: Date.now() - answeredAt, answer });
    });
    setTimeout(() => socket.destroy(), 30_000).unref();
  });
}

describe('early answers (lingering close)', function () {
  this.timeout(60_000);
  let user: TestUser;

  before(async () => {
    user = await createUser();
  });

  for (const client of CLIENTS) {
    describe(`with ${client.name}`, () => {
      for (const testCase of CASES) {
        it(`gets the whole ${testCase.name} while it is still sending 50 MB`, async () => {
          const answer = await withConfig({ uploadMaxBytes: SMALL_LIMIT }, () =>
            client.send(testCase.path, testCase.headers(user), body(BODY_BYTES, testCase.prefix)),
          );
          expect(answer).to.deep.equal({ status: testCase.status, json: { error: testCase.error } });
        });
      }
    });
  }

  for (const connection of ['close', 'keep-alive'] as const) {
    for (const testCase of CASES) {
      it(`reads the rest of a body within the bound, so a client that sends it all first gets the ${testCase.name} (Connection: ${connection})`, async () => {
        const answer = await withConfig({ uploadMaxBytes: SMALL_LIMIT }, () =>
          sendThenRead(testCase.path, testCase.headers(user), body(LINGER_LIMITS.maxBytes - SMALL_LIMIT, testCase.prefix), connection),
        );
        expect(answer).to.deep.equal({ status: testCase.status, json: { error: testCase.error } });
      });
    }
  }

  it('keeps the connection of a body that ends within the bound', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': String(2 * SMALL_LIMIT) };
      const first = await viaNodeHttp('/files?name=a&type=file', headers, body(2 * SMALL_LIMIT), agent);
      expect(first.status).to.equal(401);
      const second = await viaNodeHttp('/files?name=a&type=file', headers, body(0), agent);
      expect(second.status).to.equal(401);
    } finally {
      agent.destroy();
    }
  });

  it(`cuts off a client that keeps sending fast after about ${LINGER_LIMITS.maxBytes / 1024 / 1024} MiB`, async () => {
    const cutoff = await withConfig({ uploadMaxBytes: SMALL_LIMIT }, () => sendForever(user, 0));
    expect(cutoff.answer).to.match(/^HTTP\/1\.1 413 /).and.to.include('{"error":"Payload too large"}');
    // Socket buffers on both sides hold a few MiB more than the server read.
    expect(cutoff.written).to.be.below(SMALL_LIMIT + LINGER_LIMITS.maxBytes + 16 * 1024 * 1024);
    expect(cutoff.lingeredMs).to.be.below(LINGER_LIMITS.maxMs);
  });

  it(`cuts off a client that keeps sending slowly after ${LINGER_LIMITS.maxMs / 1000} s`, async () => {
    const cutoff = await withConfig({ uploadMaxBytes: SMALL_LIMIT }, () => sendForever(user, 50));
    expect(cutoff.answer).to.match(/^HTTP\/1\.1 413 /);
    expect(cutoff.lingeredMs).to.be.within(LINGER_LIMITS.maxMs - 500, LINGER_LIMITS.maxMs + 2000);
  });
});
