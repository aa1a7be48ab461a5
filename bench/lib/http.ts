import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Streaming requests for the byte-heavy scenarios. autocannon takes a request body only as
 * an in-memory string or Buffer, which a 100 MiB upload must never be in this process, and
 * its byte counts for downloads cut off mid-response at the end of a timed run.
 */
export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** Sends `body` (streamed) and reads the whole, small, reply. */
export async function send(
  url: string,
  method: string,
  headers: OutgoingHttpHeaders,
  body?: Readable | string,
): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    const request = http.request(url, { method, headers, agent: false }, (response) => {
      const parts: Buffer[] = [];
      response.on('data', (chunk: Buffer) => parts.push(chunk));
      response.once('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(parts).toString('utf8') }),
      );
      response.once('error', reject);
    });
    request.once('error', reject);
    if (body === undefined || typeof body === 'string') request.end(body);
    else pipeline(body, request).catch(reject);
  });
}

export async function sendJson(url: string, method: string, headers: OutgoingHttpHeaders, json?: unknown): Promise<Reply> {
  const body = json === undefined ? undefined : JSON.stringify(json);
  const contentType = body === undefined ? {} : { 'Content-Type': 'application/json' };
  return send(url, method, { ...contentType, ...headers }, body);
}

/** Downloads `url` and throws the bytes away as they arrive; returns how many there were. */
function drain(url: string, headers: OutgoingHttpHeaders, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers, agent }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      response.once('end', () =>
        response.statusCode === 200 ? resolve(bytes) : reject(new Error(`GET ${url} answered ${response.statusCode}`)),
      );
      response.once('error', reject);
    });
    request.once('error', reject);
  });
}

export interface TransferResult {
  bytes: number;
  requests: number;
  seconds: number;
  bytesPerSecond: number;
}

/**
 * `connections` keep-alive clients each downloading `url` back to back until `durationMs`
 * has passed and each has finished at least `minPerConnection` downloads (the latter bounds
 * a run of large files by count rather than by time).
 */
export async function downloadLoad(
  url: string,
  headers: OutgoingHttpHeaders,
  connections: number,
  durationMs: number,
  minPerConnection: number,
): Promise<TransferResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const start = process.hrtime.bigint();
  const deadline = Date.now() + durationMs;
  let bytes = 0;
  let requests = 0;
  const client = async (): Promise<void> => {
    for (let done = 0; done < minPerConnection || Date.now() < deadline; done += 1) {
      // Not `bytes += await ...`: that reads `bytes` before the wait and loses the other clients' counts.
      const received = await drain(url, headers, agent);
      bytes += received;
      requests += 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, client));
  } finally {
    agent.destroy();
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { bytes, requests, seconds, bytesPerSecond: bytes / seconds };
}

/** Wall-clock seconds of `work`. */
export async function timed<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const start = process.hrtime.bigint();
  const result = await work();
  return { result, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}
