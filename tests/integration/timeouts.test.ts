import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { waitUntil } from '../../scripts/lib/wait';
import { closeServer, startServer } from '../../server';
import { type Timeouts } from '../../utils/config';
import { dbClient } from '../../utils/db';
import { createUser, partialFiles, withConfig } from '../support';

interface Exchange {
  /** Everything the server wrote. */
  received: string;
  /** Milliseconds from connecting until the server closed the connection. */
  closedAfterMs: number;
}

/** Opens a raw connection, lets `talk` write to it slowly, and resolves when the server closes it. */
function slowExchange(port: number, talk: (socket: net.Socket) => void, limitMs = 30_000): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1', () => talk(socket));
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ received, closedAfterMs: Date.now() - started }));
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${limitMs} ms; it wrote: ${received.slice(0, 300)}`));
    }, limitMs).unref();
  });
}

/** Writes `text` one piece every `everyMs` until the socket closes. */
function trickle(socket: net.Socket, text: string, everyMs: number, size = 1): void {
  let offset = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || offset >= text.length) {
      clearInterval(timer);
      return;
    }
    socket.write(text.slice(offset, offset + size));
    offset += size;
  }, everyMs);
  socket.on('close', () => clearInterval(timer));
}

describe('slow and idle clients', function () {
  this.timeout(60_000);
  this.slow(10_000);
  const short: Timeouts = { headersSeconds: 2, bodyGraceSeconds: 2, bodyMinBytesPerSecond: 500, keepAliveSeconds: 1 };
  let server: Server;
  let port: number;

  before(async () => {
    await withConfig({ timeouts: short }, async () => {
      server = await startServer(0);
    });
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    await closeServer(server);
  });

  it('answers headers sent a byte at a time with 408 and closes once HEADERS_TIMEOUT_SECONDS have passed', async () => {
    const exchange = await slowExchange(port, (socket) => trickle(socket, `GET /status HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`, 200));
    expect(exchange.received).to.match(/^HTTP\/1\.1 408 /);
    expect(exchange.received).to.include('{"error":"Request timeout"}');
    expect(exchange.closedAfterMs).to.be.within(short.headersSeconds * 1000, (short.headersSeconds + 2) * 1000);
  });

  it('answers a body trickled at 16 bytes/s with 408 once it falls behind the minimum rate, and keeps nothing of it', async () => {
    const user = await createUser();
    const head = `POST /files?name=slow.bin&type=file HTTP/1.1\r\nHost: x\r\nX-Token: ${user.token}\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n`;
    const exchange = await slowExchange(port, (socket) => {
      socket.write(head);
      trickle(socket, 'x'.repeat(100_000), 250, 4);
    });
    expect(exchange.received).to.match(/^HTTP\/1\.1 408 /);
    expect(exchange.received).to.include('{"error":"Request timeout"}');
    expect(exchange.closedAfterMs).to.be.below((short.bodyGraceSeconds + 3) * 1000);
    await waitUntil('the partial upload to be removed', async () => (await partialFiles()).length === 0, 5000, 50);
    expect(await dbClient.files.countDocuments({ userId: new ObjectId(user.id) })).to.equal(0);
  });

  it('lets a body that keeps up the minimum rate take as long as it needs', async () => {
    const user = await createUser();
    const size = 4000;
    const head = `POST /files?name=steady.bin&type=file HTTP/1.1\r\nHost: x\r\nX-Token: ${user.token}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`;
    // 800 bytes/s for 5 s: well past the 2 s grace, above 500 bytes/s.
    const exchange = await slowExchange(port, (socket) => {
      socket.write(head);
      trickle(socket, 'y'.repeat(size), 100, 80);
    });
    expect(exchange.received).to.match(/^HTTP\/1\.1 201 /);
    expect(exchange.closedAfterMs).to.be.above(4000);
  });

  it('closes an idle keep-alive connection after KEEP_ALIVE_TIMEOUT_SECONDS', async () => {
    const exchange = await slowExchange(port, (socket) => socket.write('GET /status HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(exchange.received).to.match(/^HTTP\/1\.1 200 /);
    expect(exchange.closedAfterMs).to.be.within(short.keepAliveSeconds * 1000, (short.keepAliveSeconds + 2) * 1000);
  });
});
