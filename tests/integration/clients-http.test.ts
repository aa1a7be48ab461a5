import net from 'node:net';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { dbClient } from '../../utils/db';
import {
  api,
  base64,
  blobOfFile,
  createUser,
  download,
  expectError,
  harness,
  makeImage,
  sha256,
  storedDoc,
  upload,
  uploadMultipart,
  uploadRaw,
  waitFor,
  type PublicFileBody,
} from '../support';
import { makeThumbnails } from '../../utils/jobs/thumbnails';

/** Sends `request` as raw bytes and returns everything the server wrote before closing. */
function rawExchange(request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(new URL(harness().baseUrl).port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.end(request);
  });
}

function parseRaw(response: string): { status: number; headers: Record<string, string>; body: string } {
  const [head = '', body = ''] = response.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

describe('conditional downloads for every client', () => {
  async function fixture(): Promise<{ token: string; file: PublicFileBody; etag: string; lastModified: string; content: Buffer }> {
    const user = await createUser();
    const content = Buffer.from('conditional content');
    const file = await upload(user.token, { name: 'c.txt', type: 'file', data: base64(content) });
    const first = await download(file.id, { token: user.token });
    return { token: user.token, file, etag: first.headers.get('etag') ?? '', lastModified: first.headers.get('last-modified') ?? '', content };
  }

  it("answers Node's fetch, which adds Cache-Control: no-cache, with 304 for a matching If-None-Match and If-Modified-Since", async () => {
    const { token, file, etag, lastModified } = await fixture();
    const url = `${harness().baseUrl}/files/${file.id}/data`;
    const conditions: Record<string, string>[] = [{ 'If-None-Match': etag }, { 'If-Modified-Since': lastModified }, { 'If-None-Match': `"other", W/${etag}` }];
    for (const headers of conditions) {
      const response = await fetch(url, { headers: { 'X-Token': token, 'Cache-Control': 'no-cache', ...headers } });
      expect(response.status, JSON.stringify(headers)).to.equal(304);
      expect(await response.text()).to.equal('');
      expect(response.headers.get('etag')).to.equal(etag);
    }
    const stale = await fetch(url, { headers: { 'X-Token': token, 'If-None-Match': '"other"' } });
    expect(stale.status).to.equal(200);
  });

  it('answers curl-style and HEAD requests with the RFC results for If-Match, If-Unmodified-Since and If-Range', async () => {
    const { token, file, etag, lastModified, content } = await fixture();
    const long = new Date(Date.parse(lastModified) - 3600_000).toUTCString();
    const expectations: [string, Record<string, string>, number][] = [
      ['GET', { 'If-Match': etag }, 200],
      ['GET', { 'If-Match': '"other"' }, 412],
      ['HEAD', { 'If-Match': '"other"' }, 412],
      ['GET', { 'If-Unmodified-Since': long }, 412],
      ['GET', { 'If-Unmodified-Since': lastModified }, 200],
      ['HEAD', { 'If-None-Match': etag }, 304],
      ['HEAD', { 'If-Modified-Since': lastModified }, 304],
      ['GET', { Range: 'bytes=0-3', 'If-Range': etag }, 206],
      ['GET', { Range: 'bytes=0-3', 'If-Range': '"other"' }, 200],
      ['GET', { Range: 'bytes=0-3', 'If-Range': lastModified }, 206],
      ['GET', { Range: 'bytes=0-3', 'If-Range': long }, 200],
    ];
    for (const [method, headers, status] of expectations) {
      const response = await download(file.id, { token, method, headers });
      expect(response.status, `${method} ${JSON.stringify(headers)}`).to.equal(status);
      if (status === 412) expect(response.text === '' || response.text === JSON.stringify({ error: 'Precondition failed' })).to.equal(true);
      if (status === 206) expect(response.text).to.equal(content.subarray(0, 4).toString());
      if (status === 200 && method === 'GET') expect(response.bytes.equals(content)).to.equal(true);
    }
  });

  it('gives thumbnails weak tags derived from their original, with the same conditional answers', async () => {
    const user = await createUser();
    const image = await upload(user.token, { name: 'i.png', type: 'image', data: base64(await makeImage(600, 300)) });
    await makeThumbnails(await blobOfFile(image.id));
    const first = await download(image.id, { token: user.token, size: 100 });
    expect(first.status).to.equal(200);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).to.equal(`W/"${(await storedDoc(image.id)).sha256}-100"`);
    const response = await fetch(`${harness().baseUrl}/files/${image.id}/data?size=100`, { headers: { 'X-Token': user.token, 'If-None-Match': etag } });
    expect(response.status).to.equal(304);
    expect((await download(image.id, { token: user.token, size: 100, headers: { 'If-Match': etag } })).status, 'a weak tag never passes If-Match').to.equal(412);
  });
});

describe('GET /connect', () => {
  it('names the Basic scheme in WWW-Authenticate on every 401, so curl --anyauth and browsers know what to send', async () => {
    const attempts: Record<string, string>[] = [{}, { Authorization: 'Basic Zm9vOmJhcg==' }, { Authorization: 'Bearer x' }];
    for (const headers of attempts) {
      const response = await api('GET', '/connect', { headers });
      expectError(response, 401, 'Unauthorized');
      expect(response.headers.get('www-authenticate')).to.equal('Basic realm="files-manager", charset="UTF-8"');
    }
  });
});

describe('requests Node rejects before Express', () => {
  const cases: [string, string | Buffer, number, string][] = [
    ['headers over the size limit', `GET /status HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`, 431, 'Request header fields too large'],
    ['a malformed request line', 'GARBAGE\r\n\r\n', 400, 'Bad request'],
    ['an invalid method', 'G@T /status HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'Bad request'],
    ['bad chunking', 'POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n', 400, 'Bad request'],
  ];
  for (const [what, request, status, message] of cases) {
    it(`answers ${what} with ${status}, a JSON error, the security headers, and a closed connection`, async () => {
      const response = parseRaw(await rawExchange(request));
      expect(response.status).to.equal(status);
      expect(response.headers['content-type']).to.match(/^application\/json/);
      expect(JSON.parse(response.body)).to.deep.equal({ error: message });
      expect(response.headers['x-content-type-options']).to.equal('nosniff');
      expect(response.headers['content-security-policy']).to.include("default-src 'none'");
      expect(response.headers.connection).to.equal('close');
    });
  }
});

describe('names', () => {
  const tooLong = 'n'.repeat(256);
  const bad = [tooLong, 'é'.repeat(128), 'nul\u0000name', 'line\nbreak'];

  it('refuses more than 255 UTF-8 bytes or control characters with 400 "Invalid name" on every upload path, and stores nothing', async () => {
    const user = await createUser();
    for (const name of bad) {
      const what = JSON.stringify(name.slice(0, 20));
      expectError(await api('POST', '/files', { token: user.token, json: { name, type: 'file', data: base64('x') } }), 400, 'Invalid name');
      expectError(await uploadMultipart(user.token, [{ name: 'type', value: 'file' }, { name: 'name', value: name }, { name: 'f', filename: 'ok.txt', content: Buffer.from('x') }]), 400, 'Invalid name');
      if (!name.includes('\n') && !name.includes('\u0000')) {
        // Header syntax keeps control characters out of a filename; the rest reach the check.
        const viaFilename = await uploadMultipart(user.token, [{ name: 'type', value: 'file' }, { name: 'f', filename: name, content: Buffer.from('x') }]);
        expectError(viaFilename, 400, 'Invalid name');
      }
      expectError(await uploadRaw(user.token, { name, type: 'file' }, Buffer.from('x')), 400, `Invalid name`);
      expect(await dbClient.files.countDocuments({ userId: new ObjectId(user.id) }), what).to.equal(0);
    }
  });

  it('refuses them on rename too, and keeps the old name', async () => {
    const user = await createUser();
    const file = await upload(user.token, { name: 'keep.txt', type: 'file', data: base64('x') });
    for (const name of bad) expectError(await api('PATCH', `/files/${file.id}`, { token: user.token, json: { name } }), 400, 'Invalid name');
    expect((await storedDoc(file.id)).name).to.equal('keep.txt');
  });

  it('accepts exactly 255 bytes, and the name downloads back in a header fetch can read', async () => {
    const user = await createUser();
    const name = `${'é'.repeat(125)}.txtx`;
    expect(Buffer.byteLength(name)).to.equal(255);
    const file = await upload(user.token, { name, type: 'file', data: base64('x') });
    const response = await fetch(`${harness().baseUrl}/files/${file.id}/data`, { headers: { 'X-Token': user.token } });
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-disposition')).to.include("filename*=UTF-8''");
  });
});

describe('empty files', () => {
  it('stores a 0-byte upload the same way on the JSON, multipart and raw paths, and serves it back empty', async () => {
    const user = await createUser();
    const answers = [
      await api('POST', '/files', { token: user.token, json: { name: 'json.txt', type: 'file', data: '' } }),
      await uploadMultipart(user.token, [{ name: 'type', value: 'file' }, { name: 'f', filename: 'multipart.txt', content: Buffer.alloc(0) }]),
      await uploadRaw(user.token, { name: 'raw.txt', type: 'file' }, Buffer.alloc(0)),
      await api('POST', '/files?name=nobody.txt&type=file', { token: user.token }),
    ];
    for (const answer of answers) {
      expect(answer.status, answer.text).to.equal(201);
      const { id } = answer.body as PublicFileBody;
      const doc = await storedDoc(id);
      expect(doc.size).to.equal(0);
      expect(doc.sha256).to.equal(sha256(Buffer.alloc(0)));
      const served = await download(id, { token: user.token });
      expect(served.status).to.equal(200);
      expect(served.headers.get('content-length')).to.equal('0');
      expect(served.bytes.length).to.equal(0);
    }
  });
});

describe('values a client gets wrong are answered', () => {
  it('reads isPublic "1" and "0" from the query string and multipart fields, and refuses "yes" with 400 "Invalid isPublic"', async () => {
    const user = await createUser();
    const raw = await uploadRaw(user.token, { name: 'a.txt', type: 'file', isPublic: '1' }, Buffer.from('x'));
    expect((raw.body as PublicFileBody).isPublic).to.equal(true);
    const form = await uploadMultipart(user.token, [{ name: 'type', value: 'file' }, { name: 'isPublic', value: '0' }, { name: 'f', filename: 'b.txt', content: Buffer.from('x') }]);
    expect((form.body as PublicFileBody).isPublic).to.equal(false);
    expectError(await uploadRaw(user.token, { name: 'c.txt', type: 'file', isPublic: 'yes' }, Buffer.from('x')), 400, 'Invalid isPublic');
    expectError(
      await uploadMultipart(user.token, [{ name: 'type', value: 'file' }, { name: 'f', filename: 'd.txt', content: Buffer.from('x') }, { name: 'isPublic', value: 'yes' }]),
      400,
      'Invalid isPublic',
    );
    expect(await dbClient.files.countDocuments({ userId: new ObjectId(user.id) })).to.equal(2);
  });

  it('answers PATCH with unknown fields or wrong types with one 400 naming them, and changes nothing', async () => {
    const user = await createUser();
    const file = await upload(user.token, { name: 'p.txt', type: 'file', data: base64('x') });
    expectError(await api('PATCH', `/files/${file.id}`, { token: user.token, json: { nmae: 'typo' } }), 400, 'Unknown fields: nmae');
    expectError(await api('PATCH', `/files/${file.id}`, { token: user.token, json: { name: 7, isPublic: 'maybe' } }), 400, 'Invalid fields: name, isPublic');
    expectError(await api('PATCH', `/files/${file.id}`, { token: user.token, json: [] }), 400, 'Expected a JSON object');
    const doc = await storedDoc(file.id);
    expect(doc).to.include({ name: 'p.txt', isPublic: false });
  });

  it('refuses a multipart body with two file parts with 400, storing neither', async () => {
    const user = await createUser();
    const response = await uploadMultipart(user.token, [
      { name: 'type', value: 'file' },
      { name: 'a', filename: 'one.txt', content: Buffer.from('one') },
      { name: 'b', filename: 'two.txt', content: Buffer.from('two') },
    ]);
    expectError(response, 400, 'Only one file part allowed');
    await waitFor('no document', async () => ((await dbClient.files.countDocuments({ userId: new ObjectId(user.id) })) === 0 ? true : undefined), 2000, 50);
  });
});
