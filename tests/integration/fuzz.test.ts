import { readdir } from 'node:fs/promises';
import { expect } from 'chai';
import fc from 'fast-check';
import { ObjectId } from 'mongodb';
import { dbClient } from '../../utils/db';
import { api, type ApiResponse, base64, basicAuth, createUser, harness, type TestUser, upload } from '../support';

/** `npm run fuzz` raises this; the default keeps `npm test` well under a minute. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

/** Real users, ids and tokens, so generated requests reach the code behind authentication. */
interface Context {
  owner: TestUser;
  other: TestUser;
  ids: Record<'folder' | 'file' | 'image' | 'publicFile' | 'othersFile', string>;
}

const PNG_1X1 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

async function arrange(): Promise<Context> {
  const [owner, other] = [await createUser(), await createUser()];
  const folder = await upload(owner.token, { name: 'dir', type: 'folder' });
  const file = await upload(owner.token, { name: 'a.txt', type: 'file', data: base64('hello'), parentId: folder.id });
  const image = await upload(owner.token, { name: 'i.png', type: 'image', data: PNG_1X1 });
  const publicFile = await upload(owner.token, { name: 'p.txt', type: 'file', data: base64('public'), isPublic: true });
  const othersFile = await upload(other.token, { name: 'o.txt', type: 'file', data: base64('other') });
  return {
    owner,
    other,
    ids: { folder: folder.id, file: file.id, image: image.id, publicFile: publicFile.id, othersFile: othersFile.id },
  };
}

const HEX = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 24, maxLength: 24 });
/** Over every small-body limit; only bodies carry it, since Node refuses headers over 16 KiB before the app sees them. */
const HUGE = 'x'.repeat(70 * 1024);
/** Long, yet within Node's header limit. */
const LONG = 'y'.repeat(4 * 1024);
const OPERATORS = [{ $gt: '' }, { $ne: null }, { $where: 'sleep(1000)' }, { $regex: '.*' }, { $in: [0, '0'] }, { $exists: true }];

/** Strings a client might send anywhere: empty, huge, numeric, path-like, script-like, unicode. */
const junkString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '0', '-1', '1e309', 'NaN', 'true', 'null', '../../etc/passwd', '/etc/passwd', '<script>', '$gt', LONG),
  HEX,
);

/** Values of every JSON type, with query operators in the mix. */
const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  junkString,
  fc.constant(HUGE),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(...OPERATORS),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 3 }),
  fc.constantFrom('file', 'image', 'folder', PNG_1X1, base64('data')),
);

type IdChoice = keyof Context['ids'] | { raw: string };
const idChoice: fc.Arbitrary<IdChoice> = fc.oneof(
  fc.constantFrom<IdChoice>('folder', 'file', 'image', 'publicFile', 'othersFile'),
  fc.oneof(HEX, junkString, fc.constantFrom('%7B%22%24gt%22%3A%22%22%7D', '%FF', '%', '%zz', '..%2F..', '0', 'null')).map((raw) => ({ raw })),
);

const FIELD_NAMES = ['name', 'type', 'parentId', 'isPublic', 'data', 'email', 'password', 'userId', '__proto__', 'constructor', '$where'];

/** A JSON object written by hand, so duplicate keys and `__proto__` reach the server as sent. */
const jsonObjectText = fc
  .array(fc.tuple(fc.constantFrom(...FIELD_NAMES), jsonValue), { maxLength: 7 })
  .map((entries) => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}`).join(',')}}`);

const INVALID_UTF8 = [Buffer.from([0xff, 0xfe]), Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf8, 0x88])];

const BOUNDARY = 'fuzzboundary';
const multipartPart = fc.oneof(
  fc.tuple(fc.constantFrom(...FIELD_NAMES), junkString).map(([name, value]) => `Content-Disposition: form-data; name="${name}"\r\n\r\n${value}`),
  fc
    .tuple(fc.constantFrom('file', 'data', ''), fc.constantFrom('a.png', 'a.txt', '', '"', '../x'), fc.constantFrom(PNG_1X1, 'bytes', ''))
    .map(([field, filename, content]) => `Content-Disposition: form-data; name="${field}"; filename="${filename}"\r\n\r\n${content}`),
  fc.string({ maxLength: 30 }),
);

type Body = { kind: 'none' } | { kind: 'bytes'; contentType: string | undefined; bytes: Buffer };

const body: fc.Arbitrary<Body> = fc.oneof(
  fc.constant<Body>({ kind: 'none' }),
  fc.tuple(jsonObjectText, fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'text/plain', undefined))
    .map(([text, contentType]): Body => ({ kind: 'bytes', contentType, bytes: Buffer.from(text) })),
  fc
    .tuple(jsonValue, fc.constantFrom('application/json', undefined))
    .map(([value, contentType]): Body => ({ kind: 'bytes', contentType, bytes: Buffer.from(JSON.stringify(value) ?? '') })),
  fc.constantFrom('{', '{"name":', '[', '"', '{"a":1}}', 'null', '', '\u0000', '{"name":"a","type":"file","data":"!!"}').map(
    (text): Body => ({ kind: 'bytes', contentType: 'application/json', bytes: Buffer.from(text) }),
  ),
  fc.tuple(fc.constantFrom(...INVALID_UTF8), fc.constantFrom('application/json', 'multipart/form-data; boundary=x', undefined)).map(
    ([bad, contentType]): Body => ({
      kind: 'bytes',
      contentType,
      bytes: Buffer.concat([Buffer.from('{"name":"'), bad, Buffer.from('","type":"file","data":"aGk="}')]),
    }),
  ),
  fc
    .tuple(
      fc.array(multipartPart, { maxLength: 5 }),
      fc.boolean(),
      fc.option(fc.nat({ max: 400 })),
      fc.constantFrom(`multipart/form-data; boundary=${BOUNDARY}`, 'multipart/form-data', 'multipart/form-data; boundary=other', 'multipart/mixed; boundary=fuzzboundary'),
    )
    .map(([parts, closed, cut, contentType]): Body => {
      const text = parts.map((part) => `--${BOUNDARY}\r\n${part}\r\n`).join('') + (closed ? `--${BOUNDARY}--\r\n` : '');
      const bytes = Buffer.from(text);
      return { kind: 'bytes', contentType, bytes: cut === null ? bytes : bytes.subarray(0, cut) };
    }),
  fc.uint8Array({ maxLength: 300 }).map((bytes): Body => ({ kind: 'bytes', contentType: 'application/octet-stream', bytes: Buffer.from(bytes) })),
  fc.constant<Body>({ kind: 'bytes', contentType: 'application/json', bytes: Buffer.from(JSON.stringify({ name: HUGE, type: 'file', data: HUGE })) }),
);

type Route = { template: 'fixed'; path: string } | { template: 'id'; suffix: string; id: IdChoice } | { template: 'random'; segments: string[] };

const route: fc.Arbitrary<Route> = fc.oneof(
  fc.constantFrom('/status', '/stats', '/users', '/users/me', '/connect', '/disconnect', '/files', '/', '//files', '/files/').map(
    (path): Route => ({ template: 'fixed', path }),
  ),
  fc.tuple(fc.constantFrom('', '/data', '/publish', '/unpublish', '/data/x', '/'), idChoice).map(([suffix, id]): Route => ({ template: 'id', suffix, id })),
  fc.array(junkString, { minLength: 1, maxLength: 4 }).map((segments): Route => ({ template: 'random', segments })),
);

const queryPairs = fc.array(
  fc.tuple(
    fc.oneof(fc.constantFrom('parentId', 'page', 'size', 'fields', 'name', 'type', 'isPublic', 'parentId[$ne]', 'page[]', 'token'), junkString),
    fc.oneof(junkString, idChoice.map((id) => (typeof id === 'string' ? id : id.raw)), fc.constantFrom('all', '100', '250', '500', '-1', '99999999999999999999')),
  ),
  { maxLength: 4 },
);

const tokenChoice = fc.constantFrom('owner', 'other', 'invalid', 'empty', 'absent', 'huge');
const authorization = fc.oneof(
  fc.constantFrom('valid', 'wrong', 'absent'),
  junkString.map((text) => `Basic ${Buffer.from(text).toString('base64')}`),
  junkString,
);
const extraHeaders = fc.dictionary(
  fc.constantFrom('range', 'if-none-match', 'if-modified-since', 'accept', 'accept-encoding', 'content-language', 'x-forwarded-for'),
  fc.oneof(fc.constantFrom('bytes=0-1', 'bytes=abc', 'bytes=99999999-', 'bytes=5-1', '*', 'gzip'), junkString),
  { maxKeys: 3 },
);

const fuzzRequest = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE'),
  route,
  query: queryPairs,
  rawQuery: fc.option(fc.constantFrom('%', '%zz', '%FF%FE', '&&=&', 'a=%00', '=', '?')),
  token: tokenChoice,
  authorization,
  headers: extraHeaders,
  body,
});
type FuzzRequest = typeof fuzzRequest extends fc.Arbitrary<infer T> ? T : never;

/** Percent-encodes like a client would, keeping what http.request accepts in a raw path. */
const encode = (text: string): string => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
/** Header values may carry Latin-1 but no control characters. */
const headerSafe = (text: string): string => text.replace(/[^\t\x20-\x7e\x80-\xff]/g, '');

function resolveId(context: Context, id: IdChoice): string {
  return typeof id === 'string' ? context.ids[id] : id.raw;
}

interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

function toRaw(context: Context, request: FuzzRequest): RawRequest {
  const { route: target } = request;
  let path: string;
  if (target.template === 'fixed') path = target.path;
  else if (target.template === 'id') path = `/files/${encodeIdSegment(resolveId(context, target.id))}${target.suffix}`;
  else path = `/${target.segments.map(encode).join('/')}`;
  const query = request.query.map(([key, value]) => `${encode(key)}=${encode(value)}`);
  if (request.rawQuery !== null) query.push(request.rawQuery);
  if (query.length > 0) path += `?${query.join('&')}`;

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name] = headerSafe(value);
  const tokens: Record<string, string | undefined> = {
    owner: context.owner.token,
    other: context.other.token,
    invalid: 'ffffffff-ffff-4fff-bfff-ffffffffffff',
    empty: '',
    absent: undefined,
    huge: LONG,
  };
  const token = tokens[request.token];
  if (token !== undefined) headers['X-Token'] = token;
  if (request.authorization === 'valid') headers.Authorization = basicAuth(context.owner.email, context.owner.password);
  else if (request.authorization === 'wrong') headers.Authorization = basicAuth(context.owner.email, 'wrong');
  else if (request.authorization !== 'absent') headers.Authorization = headerSafe(request.authorization);

  if (request.body.kind === 'none') return { method: request.method, path, headers };
  if (request.body.contentType !== undefined) headers['Content-Type'] = request.body.contentType;
  // Node sends a GET's body unframed unless told its length.
  headers['Content-Length'] = String(request.body.bytes.length);
  return { method: request.method, path, headers, body: request.body.bytes };
}

/** Ids from the pool are valid as they are; raw ones may already hold escapes, so only unsafe characters are encoded. */
function encodeIdSegment(id: string): string {
  return /^[\x21-\x7e]*$/.test(id) && !id.includes('/') && !id.includes('?') && !id.includes('#') ? id : encode(id);
}

async function storedBlobs(): Promise<string[]> {
  const names = await readdir(harness().folderPath);
  return names.filter((name) => /^[0-9a-f-]{36}$/.test(name)).sort();
}

/** Documents are only ever stored for the requesting user, so the fuzzed users' count is enough. */
async function state(context: Context): Promise<{ users: number; files: number; blobs: string[] }> {
  const owners = [context.owner.id, context.other.id].map((id) => new ObjectId(id));
  return {
    users: await dbClient.nbUsers(),
    files: await dbClient.files.countDocuments({ userId: { $in: owners } }),
    blobs: await storedBlobs(),
  };
}

function describeRequest(request: RawRequest, response: ApiResponse): string {
  return `${request.method} ${request.path.slice(0, 200)} -> ${response.status} ${response.text.slice(0, 200)}`;
}

describe('fuzzing the API with generated requests', () => {
  it(`answers ${RUNS} generated requests without a 5xx, with JSON errors, and stores nothing for a rejected one`, async function () {
    this.timeout(60_000 + RUNS * 500);
    let context = await arrange();
    let rejected = 0;

    await fc.assert(
      fc.asyncProperty(fuzzRequest, async (request) => {
        const raw = toRaw(context, request);
        const before = await state(context);
        const response = await api(raw.method, raw.path, { headers: raw.headers, body: raw.body, timeoutMs: 5000 });
        const what = describeRequest(raw, response);

        expect(response.status, what).to.be.within(100, 499);
        if (response.status >= 400) {
          rejected += 1;
          if (raw.method !== 'HEAD') {
            expect(response.headers.get('content-type'), what).to.match(/^application\/json/);
            expect(response.body, what).to.be.an('object').with.all.keys('error');
            expect((response.body as { error: unknown }).error, what).to.be.a('string').that.is.not.empty;
          }
          expect(await state(context), `${what}: a rejected request stored something`).to.deep.equal(before);
        }
        // A successful delete or disconnect spends the fixtures; later cases need them whole.
        const spent = response.status < 300 && (raw.method === 'DELETE' || raw.path.startsWith('/disconnect'));
        if (spent) context = await arrange();
      }),
      { numRuns: RUNS, endOnFailure: true },
    );

    expect(rejected, 'the generator must produce rejected requests to check').to.be.greaterThan(RUNS / 4);
    const status = await api('GET', '/status');
    expect(status.body).to.deep.equal({ redis: true, db: true });
  });
});
