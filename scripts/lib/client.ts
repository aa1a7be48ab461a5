import { randomBytes } from 'node:crypto';
import http, { type OutgoingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';

/**
 * The one client that tests, the bench and the soak use to talk to the service. On node:http,
 * not fetch, so a caller can do what fetch refuses: choose the source address on the loopback
 * network (throttling is per client address), send raw paths, any method and any bytes, stream
 * a body that is never in memory, and choose its connection pool.
 */

export interface Reply {
  status: number;
  /** Made when first read: the bench's timed paths never pay for them. */
  readonly headers: Headers;
  readonly text: string;
  bytes: Buffer;
  elapsedMs: number;
}

export interface RequestOptions {
  headers?: OutgoingHttpHeaders;
  body?: Buffer | string | Readable;
  /** A connection of its own by default. */
  agent?: http.Agent | false;
  /** Any address in 127.0.0.0/8 (the service is reached on 127.0.0.1). */
  localAddress?: string;
  /** No answer within this long aborts the request; none by default. */
  timeoutMs?: number;
}

function toHeaders(raw: http.IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    for (const item of Array.isArray(value) ? value : [value ?? '']) headers.append(name, item);
  }
  return headers;
}

function readReply(response: http.IncomingMessage, started: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.once('error', reject);
    response.once('end', () => {
      const bytes = Buffer.concat(chunks);
      let headers: Headers | undefined;
      let text: string | undefined;
      resolve({
        status: response.statusCode ?? 0,
        get headers() {
          headers ??= toHeaders(response.headers);
          return headers;
        },
        get text() {
          text ??= bytes.toString('utf8');
          return text;
        },
        bytes,
        elapsedMs: Date.now() - started,
      });
    });
  });
}

/** A request whose body the caller writes itself: to stream it, to trickle it, or to abort midway. */
export class StreamingRequest {
  private readonly request: http.ClientRequest;
  protected readonly reply: Promise<Reply>;

  constructor(method: string, url: string, { headers = {}, agent = false, localAddress }: Omit<RequestOptions, 'body' | 'timeoutMs'> = {}) {
    const started = Date.now();
    // The path goes out as given: a URL parser would normalise the dot segments and escapes some tests send on purpose.
    const [, origin = url, path] = /^(\w+:\/\/[^/?#]+)(.*)$/.exec(url) ?? [];
    const { hostname, port } = new URL(origin);
    this.request = http.request({ host: hostname, port, path: path || '/', method, headers, agent, localAddress });
    this.reply = new Promise((resolve, reject) => {
      this.request.once('error', reject);
      this.request.once('response', (response) => resolve(readReply(response, started)));
    });
    // A caller that stops early must not leave an unhandled rejection behind.
    this.reply.catch(() => undefined);
  }

  get response(): Promise<Reply> {
    return this.reply;
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
  pipeFrom(source: Readable): Promise<Reply> {
    source.pipe(this.request);
    return this.response;
  }

  end(chunk?: Buffer | string): Promise<Reply> {
    this.request.end(chunk);
    return this.response;
  }

  abort(): void {
    this.request.destroy();
  }
}

/** One request, its body streamed when it is a stream, and its answer read whole. */
export async function request(method: string, url: string, options: RequestOptions = {}): Promise<Reply> {
  const started = new StreamingRequest(method, url, options);
  const { body, timeoutMs } = options;
  const answer = body instanceof Readable ? started.pipeFrom(body) : started.end(body);
  if (timeoutMs === undefined) return answer;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      started.abort();
      reject(new Error(`${method} ${url} got no answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([answer, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `request` with `json` as its body. */
export function requestJson(method: string, url: string, json: unknown, options: Omit<RequestOptions, 'body'> = {}): Promise<Reply> {
  return request(method, url, { ...options, headers: { 'Content-Type': 'application/json', ...options.headers }, body: JSON.stringify(json) });
}

export function basicAuth(email: string, password: string): string {
  return `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`;
}

export interface Account {
  id: string;
  email: string;
  password: string;
  token: string;
}

/** Signs up a new user with a random address under `emailPrefix` and logs in; throws unless both succeed. */
export async function signUpAndLogIn(baseUrl: string, emailPrefix: string, options: Omit<RequestOptions, 'body' | 'headers'> = {}): Promise<Account> {
  const email = `${emailPrefix}-${randomBytes(8).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const created = await requestJson('POST', `${baseUrl}/users`, { email, password }, options);
  if (created.status !== 201) throw new Error(`sign-up failed: ${created.status} ${created.text.slice(0, 200)}`);
  const connected = await request('GET', `${baseUrl}/connect`, { ...options, headers: { Authorization: basicAuth(email, password) } });
  if (connected.status !== 200) throw new Error(`login failed: ${connected.status} ${connected.text.slice(0, 200)}`);
  const { id } = JSON.parse(created.text) as { id: string };
  const { token } = JSON.parse(connected.text) as { token: string };
  return { id, email, password, token };
}
