import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { harness } from './harness';

/**
 * The suite's one HTTP client, on node:http so a test can do what fetch refuses: choose the
 * source address on the loopback network (throttling is per client address), send raw paths,
 * any method, any bytes. Tests that are about a particular client (fetch, curl) use it directly.
 */

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response says it is JSON, else undefined. */
  body: unknown;
  text: string;
  bytes: Buffer;
  elapsedMs: number;
}

export interface RequestOptions {
  token?: string;
  json?: unknown;
  headers?: Record<string, string>;
  body?: Buffer | string | Readable;
  /** Any address in 127.0.0.0/8; the server is always reached on 127.0.0.1. */
  localAddress?: string;
  /** The app under test by default; the fault tests run their own. */
  baseUrl?: string;
  timeoutMs?: number;
}

function toHeaders(raw: http.IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    for (const item of Array.isArray(value) ? value : [value ?? '']) headers.append(name, item);
  }
  return headers;
}

function requestHeaders(options: RequestOptions): Record<string, string> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['X-Token'] = options.token;
  if (options.json !== undefined) headers['Content-Type'] ??= 'application/json';
  return headers;
}

/** Reads a whole response; its body is parsed when it says it is JSON. */
function readResponse(res: http.IncomingMessage, started: number): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('error', reject);
    res.on('end', () => {
      const bytes = Buffer.concat(chunks);
      const text = bytes.toString('utf8');
      const isJson = res.headers['content-type']?.includes('application/json') ?? false;
      let body: unknown;
      try {
        body = isJson && text !== '' ? (JSON.parse(text) as unknown) : undefined;
      } catch {
        // A stored file named *.json need not hold JSON; a test that expects JSON checks `body`.
        body = undefined;
      }
      resolve({ status: res.statusCode ?? 0, headers: toHeaders(res.headers), body, text, bytes, elapsedMs: Date.now() - started });
    });
  });
}

/** A request whose body the test writes itself: to stream it, to trickle it, or to abort midway. */
export class StreamingRequest {
  private readonly request: http.ClientRequest;
  readonly response: Promise<ApiResponse>;

  constructor(method: string, path: string, options: RequestOptions & { agent?: http.Agent } = {}) {
    const started = Date.now();
    const { port } = new URL(options.baseUrl ?? harness().baseUrl);
    this.request = http.request({
      host: '127.0.0.1',
      port: Number(port),
      method,
      path,
      headers: requestHeaders(options),
      localAddress: options.localAddress,
      agent: options.agent ?? false,
    });
    this.response = new Promise((resolve, reject) => {
      this.request.on('error', reject);
      this.request.on('response', (res) => resolve(readResponse(res, started)));
    });
    // A test that stops early must not leave an unhandled rejection behind.
    this.response.catch(() => undefined);
  }

  get destroyed(): boolean {
    return this.request.destroyed;
  }

  /** Resolves once the chunk is handed to the socket; a connection cut by a crash never drains, so its close ends the wait too. */
  async write(chunk: Buffer): Promise<void> {
    if (this.request.destroyed) return;
    if (this.request.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.request.off('drain', done).off('close', done);
        resolve();
      };
      this.request.on('drain', done).on('close', done);
    });
  }

  /** Sends the rest of `source` and ends the request. */
  async pipeFrom(source: Readable): Promise<ApiResponse> {
    source.pipe(this.request);
    return this.response;
  }

  end(chunk?: Buffer): Promise<ApiResponse> {
    this.request.end(chunk);
    return this.response;
  }

  abort(): void {
    this.request.destroy();
  }
}

/** One HTTP request to the app under test, with the response read whole. */
export async function api(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
  const request = new StreamingRequest(method, path, options);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      request.abort();
      reject(new Error(`${method} ${path} got no answer within ${options.timeoutMs ?? 30_000} ms`));
    }, options.timeoutMs ?? 30_000);
  });
  try {
    const { body, json } = options;
    if (body instanceof Readable) return await Promise.race([request.pipeFrom(body), timeout]);
    return await Promise.race([request.end(json !== undefined ? Buffer.from(JSON.stringify(json)) : body === undefined ? undefined : Buffer.from(body)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A random address in 127.0.0.0/8 other than 127.0.0.1, so each test has a client address of its own. */
export function randomLoopbackAddress(): string {
  const octet = () => 2 + Math.floor(Math.random() * 253);
  return `127.${octet()}.${octet()}.${octet()}`;
}

export type Part = { name: string; value: string } | { name: string; filename: string; content: Buffer; type?: string };

/** A multipart/form-data body with the parts in the given order, as a browser or curl -F sends it. */
export function multipart(parts: Part[]): { body: Buffer; contentType: string } {
  const boundary = `----test${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    if ('value' in part) {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`));
    } else {
      // Raw UTF-8 in the quoted filename is what browsers and curl send.
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\n` +
            `Content-Type: ${part.type ?? 'application/octet-stream'}\r\n\r\n`,
        ),
        part.content,
        Buffer.from('\r\n'),
      );
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

export function uploadMultipart(token: string, parts: Part[], options: RequestOptions = {}): Promise<ApiResponse> {
  const { body, contentType } = multipart(parts);
  return api('POST', '/files', { ...options, token, body, headers: { 'Content-Type': contentType } });
}

export function uploadRaw(token: string, query: Record<string, string>, body: Buffer | Readable, type = 'application/octet-stream'): Promise<ApiResponse> {
  return api('POST', `/files?${new URLSearchParams(query).toString()}`, { token, body, headers: { 'Content-Type': type } });
}

/** `GET /files/:id/data`, of a thumbnail when `size` is given. */
export function download(id: string, options: RequestOptions & { size?: number | string; method?: string } = {}): Promise<ApiResponse> {
  const query = options.size === undefined ? '' : `?size=${options.size}`;
  return api(options.method ?? 'GET', `/files/${id}/data${query}`, options);
}
