import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { closeServer, startServer } from '../../server';
import { config, useConfig } from '../../utils/config';
import { dbClient } from '../../utils/db';
import { api, base64, createUser, harness, type TestUser, upload } from '../support';

const execFileAsync = promisify(execFile);

describe('GET /stats', () => {
  it('answers 200 with the counts of the users and files collections', async () => {
    const response = await api('GET', '/stats');
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal({
      users: await dbClient.users.countDocuments(),
      files: await dbClient.files.countDocuments(),
    });
  });

  it('counts one more user after a sign-up and one more file after an upload', async () => {
    const before = (await api('GET', '/stats')).body as { users: number; files: number };
    const user = await createUser();
    await upload(user.token, { name: 'counted', type: 'folder' });
    expect((await api('GET', '/stats')).body).to.deep.equal({ users: before.users + 1, files: before.files + 1 });
  });
});

describe('conditional headers on JSON answers', () => {
  // JSON answers carry no validator, so no condition can hold; Express alone would answer
  // `If-None-Match: *` with 304, which the OpenAPI document does not promise.
  it('answers GET and HEAD with their usual 200 whatever If-None-Match says', async () => {
    const user = await createUser();
    const file = await upload(user.token, { name: 'conditional.txt', type: 'file', data: base64('abc') });
    for (const method of ['GET', 'HEAD']) {
      for (const path of ['/status', '/users/me', `/files/${file.id}`, `/files/${file.id}/`, '/files']) {
        const response = await api(method, path, { token: user.token, headers: { 'If-None-Match': '*' } });
        expect(response.status, `${method} ${path}`).to.equal(200);
      }
    }
    const shown = await api('GET', `/files/${file.id}`, { token: user.token, headers: { 'If-None-Match': '*' } });
    expect(shown.body).to.include({ id: file.id, name: 'conditional.txt' });
  });
});

describe('unknown routes', () => {
  const cases: [string, string][] = [
    ['GET', '/nothing-here'],
    ['PUT', '/nothing-here'],
    ['GET', '/files/a/b/c'],
    ['DELETE', '/files/a/b/c'],
    ['GET', '/statuses'],
  ];
  for (const [method, path] of cases) {
    it(`answers ${method} ${path} with 404 {"error":"Not found"}`, async () => {
      const response = await api(method, path);
      expect(response.status).to.equal(404);
      expect(response.text).to.equal('{"error":"Not found"}');
      expect(response.headers.get('allow')).to.equal(null);
    });
  }
});

describe('a method the path does not have', () => {
  let user: TestUser;
  let fileId: string;

  before(async () => {
    user = await createUser();
    fileId = (await upload(user.token, { name: 'methods.txt', type: 'file', data: base64('abc') })).id;
  });

  /** Express answers OPTIONS itself wherever a route is, so every Allow names it. */
  const cases = (): [string, string, string][] => [
    ['PUT', '/files', 'GET, HEAD, OPTIONS, POST'],
    ['DELETE', '/status', 'GET, HEAD, OPTIONS'],
    ['POST', `/files/${fileId}/data`, 'GET, HEAD, OPTIONS'],
    ['PUT', '/users/me', 'GET, HEAD, OPTIONS'],
    ['GET', `/files/${fileId}/publish`, 'OPTIONS, PUT'],
    ['POST', `/files/${fileId}`, 'DELETE, GET, HEAD, OPTIONS, PATCH'],
    ['DELETE', '/users', 'OPTIONS, POST'],
    ['POST', '/', 'GET, HEAD, OPTIONS'],
    ['PUT', '/files/', 'GET, HEAD, OPTIONS, POST'],
  ];

  it('answers 405 {"error":"Method not allowed"} with Allow listing the methods the path has, token or not', async () => {
    for (const [method, path, allow] of cases()) {
      for (const token of [undefined, user.token, 'not-a-token']) {
        const response = await api(method, path, { token });
        const what = `${method} ${path} with token ${String(token)}`;
        expect(response.status, what).to.equal(405);
        expect(response.headers.get('allow'), what).to.equal(allow);
        expect(response.headers.get('content-type'), what).to.match(/^application\/json/);
        expect(response.text, what).to.equal('{"error":"Method not allowed"}');
      }
    }
  });

  it('answers HEAD on a path without GET with the same 405 headers and no body', async () => {
    const response = await api('HEAD', `/files/${fileId}/publish`, { token: user.token });
    expect(response.status).to.equal(405);
    expect(response.headers.get('allow')).to.equal('OPTIONS, PUT');
    expect(response.text).to.equal('');
  });

  it('leaves HEAD on GET routes as it was: the GET answer without its body', async () => {
    const checks: [string, string | undefined, number][] = [
      ['/status', undefined, 200],
      ['/users/me', user.token, 200],
      ['/users/me', undefined, 401],
      [`/files/${fileId}/data`, user.token, 200],
      [`/files/${fileId}/data`, undefined, 404],
    ];
    for (const [path, token, status] of checks) {
      const [head, get] = [await api('HEAD', path, { token }), await api('GET', path, { token })];
      expect(head.status, `HEAD ${path}`).to.equal(status);
      expect(get.status, `GET ${path}`).to.equal(status);
      expect(head.text, `HEAD ${path}`).to.equal('');
      expect(head.headers.get('allow'), `HEAD ${path}`).to.equal(null);
    }
  });

  it('still answers OPTIONS as Express does, with the methods Allow names', async () => {
    const response = await api('OPTIONS', '/files');
    expect(response.status).to.equal(200);
    expect(response.headers.get('allow')).to.equal('GET, HEAD, POST');
  });

  it('answers `curl -T file <url>/files` (a PUT with the file as the body) with 405, without reading the upload', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'curl-put-'));
    try {
      const file = path.join(dir, 'upload.bin');
      // Over a MiB, so curl asks with Expect: 100-continue first, as it does for a real upload.
      await writeFile(file, Buffer.alloc(2 * 1024 * 1024, 1));
      const { stdout } = await execFileAsync('curl', ['-sS', '-i', '-T', file, '-H', `X-Token: ${user.token}`, `${harness().baseUrl}/files`]);
      const [head = '', body] = stdout.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '').split('\r\n\r\n');
      expect(head).to.match(/^HTTP\/1\.1 405 /);
      expect(head).to.match(/\r\nAllow: GET, HEAD, OPTIONS, POST\r\n/i);
      expect(body).to.equal('{"error":"Method not allowed"}');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(await dbClient.files.countDocuments({ userId: new ObjectId(user.id), name: 'upload.bin' })).to.equal(0);
  });
});

describe('request bodies', () => {
  it('answers malformed JSON on POST /users with 400 {"error":"Invalid JSON"}', async () => {
    const response = await api('POST', '/users', { headers: { 'Content-Type': 'application/json' }, body: '{"email": "a@b.c",' });
    expect(response.status).to.equal(400);
    expect(response.text).to.equal('{"error":"Invalid JSON"}');
  });

  it('answers malformed JSON on POST /files with 400 {"error":"Invalid JSON"} and stores nothing', async () => {
    const user = await createUser();
    const response = await api('POST', '/files', {
      token: user.token,
      headers: { 'Content-Type': 'application/json' },
      body: '{"name": "x", "type": "file", data: }',
    });
    expect(response.status).to.equal(400);
    expect(response.text).to.equal('{"error":"Invalid JSON"}');
    expect(await dbClient.files.countDocuments({ userId: new ObjectId(user.id) })).to.equal(0);
  });

  it('answers a sign-up body over the limit with 413 {"error":"Payload too large"} and stores nothing', async () => {
    const email = `${'a'.repeat(200 * 1024)}@example.com`;
    const response = await api('POST', '/users', { json: { email, password: 'pw' } });
    expect(response.status).to.equal(413);
    expect(response.text).to.equal('{"error":"Payload too large"}');
    expect(await dbClient.users.countDocuments({ email })).to.equal(0);
  });
});

describe('UPLOAD_MAX_BYTES', () => {
  const LIMIT = 4096;
  let baseUrl: string;
  let server: Awaited<ReturnType<typeof startServer>>;
  let saved: ReturnType<typeof config>;

  before(async () => {
    saved = config();
    useConfig({ ...saved, uploadMaxBytes: LIMIT });
    server = await startServer(0);
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    useConfig(saved);
    await closeServer(server);
  });

  async function postFile(token: string, size: number): Promise<{ status: number; text: string }> {
    const response = await fetch(`${baseUrl}/files`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Token': token },
      body: JSON.stringify({ name: `f${size}.bin`, type: 'file', data: base64(Buffer.alloc(size, 7)) }),
    });
    return { status: response.status, text: await response.text() };
  }

  it('accepts a file of exactly UPLOAD_MAX_BYTES decoded bytes', async () => {
    const user = await createUser();
    expect((await postFile(user.token, LIMIT)).status).to.equal(201);
  });

  it('answers a file one byte over UPLOAD_MAX_BYTES with 413 {"error":"Payload too large"} and stores nothing', async () => {
    const user = await createUser();
    const filesBefore = await readdir(harness().folderPath);
    const response = await postFile(user.token, LIMIT + 1);
    expect(response.status).to.equal(413);
    expect(response.text).to.equal('{"error":"Payload too large"}');
    expect(await dbClient.files.countDocuments({ userId: new ObjectId(user.id) })).to.equal(0);
    expect(await readdir(harness().folderPath)).to.have.members(filesBefore);
  });

  it('answers a JSON body far over the limit with 413 {"error":"Payload too large"}', async () => {
    const user = await createUser();
    const response = await postFile(user.token, LIMIT * 100);
    expect(response.status).to.equal(413);
    expect(response.text).to.equal('{"error":"Payload too large"}');
  });
});
