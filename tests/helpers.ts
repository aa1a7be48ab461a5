import { randomBytes } from 'node:crypto';
import { harness } from './harness';
import { waitFor as poll } from '../scripts/wait';

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response is JSON, else undefined. */
  body: unknown;
  text: string;
}

export interface RequestOptions {
  token?: string;
  json?: unknown;
  headers?: Record<string, string>;
  body?: NonNullable<RequestInit['body']>;
}

/** One HTTP request to the app under test, with the body read and parsed. */
export async function api(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['X-Token'] = options.token;
  let body = options.body;
  if (options.json !== undefined) {
    headers['Content-Type'] ??= 'application/json';
    body = JSON.stringify(options.json);
  }
  const response = await fetch(harness().baseUrl + path, { method, headers, body });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.includes('application/json') ?? false;
  return { status: response.status, headers: response.headers, body: isJson ? (JSON.parse(text) as unknown) : undefined, text };
}

export function uniqueEmail(): string {
  return `user-${randomBytes(8).toString('hex')}@example.com`;
}

export function basicAuth(email: string, password: string): string {
  return `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`;
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  token: string;
}

/** Signs up a new user and logs in, through the API. */
export async function createUser(): Promise<TestUser> {
  const email = uniqueEmail();
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const created = await api('POST', '/users', { json: { email, password } });
  if (created.status !== 201) throw new Error(`sign-up failed: ${created.status} ${created.text}`);
  const connected = await api('GET', '/connect', { headers: { Authorization: basicAuth(email, password) } });
  if (connected.status !== 200) throw new Error(`login failed: ${connected.status} ${connected.text}`);
  const { id } = created.body as { id: string };
  const { token } = connected.body as { token: string };
  return { id, email, password, token };
}

export interface PublicFileBody {
  id: string;
  userId: string;
  name: string;
  type: string;
  isPublic: boolean;
  parentId: 0 | string;
}

/** Uploads through `POST /files` (JSON, base64) and returns the created document; throws unless 201. */
export async function upload(token: string, fields: Record<string, unknown>): Promise<PublicFileBody> {
  const response = await api('POST', '/files', { token, json: fields });
  if (response.status !== 201) throw new Error(`upload failed: ${response.status} ${response.text}`);
  return response.body as PublicFileBody;
}

export function base64(text: string | Buffer): string {
  return Buffer.from(text).toString('base64');
}

/** An image of the given size in `format`, half transparent when the format allows it, made with sharp. */
export async function makeImage(width: number, height: number, format: 'png' | 'jpeg' | 'webp' = 'png'): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  return sharp({ create: { width, height, channels: 4, background: { r: 200, g: 40, b: 90, alpha: 0.5 } } })
    .toFormat(format)
    .toBuffer();
}

/** Polls `check` until it returns a value other than undefined; fails after `timeoutMs`. */
/** Polls every 200 ms for up to 30 s by default: what most tests wait for is a job or a request. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 200): Promise<T> {
  return poll(what, check, timeoutMs, intervalMs);
}

/** The data of every job a Bull queue holds, in any state, so a test can look for the one it caused. */
export async function jobData<T>(queue: import('bull').Queue<T>): Promise<T[]> {
  const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed', 'paused']);
  return jobs.filter((job) => job !== null).map((job) => job.data);
}

/** Asserts the response is exactly `{"error": message}` with `status`. */
export function expectError(response: ApiResponse, status: number, message: string): void {
  if (response.status !== status || response.text !== JSON.stringify({ error: message })) {
    throw new Error(`expected ${status} ${JSON.stringify({ error: message })}, got ${response.status} ${response.text}`);
  }
}

/** The error `promise` rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}
