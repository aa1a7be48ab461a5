import http from 'node:http';

/**
 * HTTP without fetch's guard rails, for tests that need what fetch refuses: a chosen source
 * address on the loopback network (rate limits are per client address), raw paths, raw
 * bytes and arbitrary methods.
 */
export interface RawRequest {
  method: string;
  /** Sent as is: percent-encode what must be encoded. */
  path: string;
  headers?: http.OutgoingHttpHeaders;
  body?: Buffer | string;
  /** Any address in 127.0.0.0/8; the target is always 127.0.0.1. */
  localAddress?: string;
  timeoutMs?: number;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Parsed JSON when the response says it is JSON, else undefined. */
  json: unknown;
  elapsedMs: number;
}

export function rawRequest(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  const { port } = new URL(baseUrl);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: Number(port),
        method: request.method,
        path: request.path,
        headers: request.headers,
        localAddress: request.localAddress,
        agent: false,
        timeout: request.timeoutMs ?? 20_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const isJson = res.headers['content-type']?.includes('application/json') ?? false;
          let json: unknown;
          try {
            json = isJson && text !== '' ? (JSON.parse(text) as unknown) : undefined;
          } catch {
            reject(new Error(`invalid JSON from ${request.method} ${request.path}: ${text.slice(0, 200)}`));
            return;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, elapsedMs: Date.now() - started });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${request.method} ${request.path} timed out`)));
    req.on('error', reject);
    req.end(request.body);
  });
}

/** A random address in 127.0.0.0/8 other than 127.0.0.1, so each test has a client address of its own. */
export function randomLoopbackAddress(): string {
  const octet = () => 2 + Math.floor(Math.random() * 253);
  return `127.${octet()}.${octet()}.${octet()}`;
}
