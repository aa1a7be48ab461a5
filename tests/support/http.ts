import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { Readable } from 'node:stream';
import { request, StreamingRequest as ClientStreamingRequest, type Reply } from '../../scripts/lib/client';
import { harness } from './harness';

/**
 * The suite's requests, on the shared client (scripts/lib/client.ts), to the app under test by
 * default. Tests that are about a particular client (fetch, curl) use it directly.
 */

export interface ApiResponse extends Reply {
  /** Parsed JSON when the response says it is JSON, else undefined. */
  body: unknown;
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

function requestHeaders(options: RequestOptions): Record<string, string> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['X-Token'] = options.token;
  if (options.json !== undefined) headers['Content-Type'] ??= 'application/json';
  return headers;
}

function toApiResponse(reply: Reply): ApiResponse {
  const isJson = reply.headers.get('content-type')?.includes('application/json') ?? false;
  let body: unknown;
  try {
    body = isJson && reply.text !== '' ? (JSON.parse(reply.text) as unknown) : undefined;
  } catch {
    // A stored file named *.json need not hold JSON; a test that expects JSON checks `body`.
    body = undefined;
  }
  return { status: reply.status, headers: reply.headers, text: reply.text, bytes: reply.bytes, elapsedMs: reply.elapsedMs, body };
}

const urlOf = (path: string, options: RequestOptions): string => `${options.baseUrl ?? harness().baseUrl}${path}`;

/** A request whose body the test writes itself: to stream it, to trickle it, or to abort midway. */
export class StreamingRequest extends ClientStreamingRequest {
  private readonly answer: Promise<ApiResponse>;

  constructor(method: string, path: string, options: RequestOptions & { agent?: http.Agent } = {}) {
    super(method, urlOf(path, options), { headers: requestHeaders(options), localAddress: options.localAddress, agent: options.agent });
    this.answer = this.reply.then(toApiResponse);
    // A test that stops early must not leave an unhandled rejection behind.
    this.answer.catch(() => undefined);
  }

  override get response(): Promise<ApiResponse> {
    return this.answer;
  }

  override pipeFrom(source: Readable): Promise<ApiResponse> {
    void super.pipeFrom(source);
    return this.answer;
  }

  override end(chunk?: Buffer): Promise<ApiResponse> {
    void super.end(chunk);
    return this.answer;
  }
}

/** One HTTP request to the app under test, with the response read whole. */
export async function api(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
  const { json, body, localAddress, timeoutMs = 30_000 } = options;
  const reply = await request(method, urlOf(path, options), {
    headers: requestHeaders(options),
    body: json !== undefined ? JSON.stringify(json) : body,
    localAddress,
    timeoutMs,
  });
  return toApiResponse(reply);
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
