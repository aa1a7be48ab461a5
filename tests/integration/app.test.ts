import { readdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { closeServer, startServer } from '../../server';
import { config, useConfig } from '../../utils/config';
import { dbClient } from '../../utils/db';
import { api, base64, createUser, harness, upload } from '../support';

describe('GET /status', () => {
  it('answers 200 {"redis":true,"db":true} from the live clients', async () => {
    const response = await api('GET', '/status');
    expect(response.status).to.equal(200);
    expect(response.text).to.equal('{"redis":true,"db":true}');
  });
});

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
    // GET / is the browser app (tests/browser/app.test.ts); other methods on it stay unknown.
    ['POST', '/'],
    ['GET', '/nothing-here'],
    ['POST', '/status'],
    ['DELETE', '/users'],
    ['GET', '/files/a/b/c'],
    ['PUT', '/files'],
  ];
  for (const [method, path] of cases) {
    it(`answers ${method} ${path} with 404 {"error":"Not found"}`, async () => {
      const response = await api(method, path);
      expect(response.status).to.equal(404);
      expect(response.text).to.equal('{"error":"Not found"}');
    });
  }
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
