import http, { type OutgoingHttpHeaders } from 'node:http';

/**
 * Download load for the byte-heavy scenarios: autocannon's byte counts for downloads cut off
 * mid-response at the end of a timed run. Single requests go through scripts/lib/client.ts.
 */

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
