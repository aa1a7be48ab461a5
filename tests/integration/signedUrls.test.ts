import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { sharedKey } from '../../utils/auth/secrets';
import { signDownload } from '../../utils/files/signedUrls';
import { makeThumbnails } from '../../utils/jobs/thumbnails';
import {
  api,
  type ApiResponse,
  base64,
  blobOfFile,
  createUser,
  expectError,
  harness,
  makeImage,
  type PublicFileBody,
  type SignedUrlBody,
  type TestUser,
  upload,
  withConfig,
} from '../support';


function sign(user: TestUser, id: string, json?: unknown): Promise<ApiResponse> {
  return api('POST', `/files/${id}/url`, { token: user.token, json });
}

async function signedUrl(user: TestUser, id: string, json?: unknown): Promise<URL> {
  const answer = await sign(user, id, json);
  expect(answer.status, answer.text).to.equal(200);
  return new URL((answer.body as SignedUrlBody).url);
}

/** A signed URL's path and query, fetched from the app under test with no token. */
function fetchSigned(url: URL | string, headers: Record<string, string> = {}, method = 'GET'): Promise<ApiResponse> {
  const { pathname, search } = typeof url === 'string' ? new URL(url, harness().baseUrl) : url;
  return api(method, `${pathname}${search}`, { headers });
}

/** `url` with its query changed by `change`. */
function altered(url: URL, change: (query: URLSearchParams) => void): string {
  const query = new URLSearchParams(url.search);
  change(query);
  return `${url.pathname}?${query.toString()}`;
}

async function privateFile(user: TestUser, content: Buffer, name = 'secret.bin'): Promise<PublicFileBody> {
  return upload(user.token, { name, type: 'file', data: base64(content) });
}

describe('signed URLs: POST /files/:id/url', () => {
  it('gives the owner an absolute URL that reads a private file with no token, and says when it expires', async () => {
    const user = await createUser();
    const content = randomBytes(10_000);
    const file = await privateFile(user, content);
    const before = Date.now();
    const answer = await sign(user, file.id, { expiresIn: 600 });
    expect(answer.status, answer.text).to.equal(200);
    const body = answer.body as SignedUrlBody;
    expect(Object.keys(body).sort()).to.deep.equal(['expiresAt', 'url']);
    const url = new URL(body.url);
    expect(url.origin).to.equal(harness().baseUrl);
    expect(url.pathname).to.equal(`/files/${file.id}/data`);
    expect(body.url).not.to.include(user.token);
    const expiresAt = Date.parse(body.expiresAt);
    expect(expiresAt).to.be.within(before + 599_000, Date.now() + 601_000);
    expect(url.searchParams.get('expires')).to.equal(String(expiresAt / 1000));

    const served = await fetchSigned(url);
    expect(served.status).to.equal(200);
    expect(served.bytes.equals(content)).to.equal(true);
    expect(served.headers.get('cache-control')).to.match(/^private, max-age=(59\d|600)$/);
    expect(served.headers.get('content-security-policy')).to.equal("sandbox; default-src 'none'");
    expectError(await api('GET', `/files/${file.id}/data`), 404, 'Not found');
  });

  it('lasts an hour when expiresIn is absent, with or without a JSON body', async () => {
    const user = await createUser();
    const file = await privateFile(user, randomBytes(100));
    for (const json of [undefined, {}]) {
      const answer = await sign(user, file.id, json);
      expect(answer.status, answer.text).to.equal(200);
      const expiresIn = Date.parse((answer.body as SignedUrlBody).expiresAt) - Date.now();
      expect(expiresIn).to.be.within(3598_000, 3600_000);
    }
  });

  it('serves ranges, HEAD and conditional requests through the URL as through a token', async () => {
    const user = await createUser();
    const content = randomBytes(5000);
    const file = await privateFile(user, content);
    const url = await signedUrl(user, file.id);
    const part = await fetchSigned(url, { Range: 'bytes=100-199' });
    expect(part.status).to.equal(206);
    expect(part.bytes.equals(content.subarray(100, 200))).to.equal(true);
    const head = await fetchSigned(url, {}, 'HEAD');
    expect(head.status).to.equal(200);
    expect(head.headers.get('content-length')).to.equal('5000');
    const etag = head.headers.get('etag') ?? '';
    expect((await fetchSigned(url, { 'If-None-Match': etag })).status).to.equal(304);
  });

  it('serves the thumbnail the URL was signed for', async () => {
    const user = await createUser();
    const png = await makeImage(800, 600);
    const image = await upload(user.token, { name: 'photo.png', type: 'image', data: base64(png) });
    await makeThumbnails(await blobOfFile(image.id));
    const url = await signedUrl(user, image.id, { size: 250 });
    expect(url.searchParams.get('size')).to.equal('250');
    const served = await fetchSigned(url);
    expect(served.status).to.equal(200);
    expect(served.headers.get('content-type')).to.equal('image/png');
    expect(served.bytes.length).to.be.below(png.length);
  });

  it('asks a browser to save the content with disposition attachment, and never shows an HTML file inline', async () => {
    const user = await createUser();
    const text = await privateFile(user, Buffer.from('hello'), 'note.txt');
    const saved = await fetchSigned(await signedUrl(user, text.id, { disposition: 'attachment' }));
    expect(saved.headers.get('content-disposition')).to.equal('attachment; filename="note.txt"');
    const shown = await fetchSigned(await signedUrl(user, text.id, { disposition: 'inline' }));
    expect(shown.headers.get('content-disposition')).to.equal('inline; filename="note.txt"');
    const page = await privateFile(user, Buffer.from('<script>alert(1)</script>'), 'page.html');
    const html = await fetchSigned(await signedUrl(user, page.id, { disposition: 'inline' }));
    expect(html.headers.get('content-disposition')).to.equal('attachment; filename="page.html"');
  });

  it('answers 403 "Invalid signature" to any change of the URL', async () => {
    const user = await createUser();
    const file = await privateFile(user, randomBytes(100));
    const other = await privateFile(user, randomBytes(100));
    const url = await signedUrl(user, file.id, { expiresIn: 600 });
    const signature = url.searchParams.get('signature') ?? '';
    // The last character holds 4 bits of the digest and 2 unused ones: 'A' and 'E' differ in a used one, 'A' and 'B' only in an unused one.
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'E' : 'A'}`;
    const base64url = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = `${signature.slice(0, -1)}${base64url[base64url.indexOf(signature.slice(-1)) + 1] ?? ''}`;
    const changes: Record<string, string> = {
      'a later expiry': altered(url, (query) => query.set('expires', String(Number(query.get('expires')) + 1))),
      'a size added': altered(url, (query) => query.set('size', '100')),
      'a disposition added': altered(url, (query) => query.set('disposition', 'attachment')),
      'a changed signature': altered(url, (query) => query.set('signature', flipped)),
      'the same signature spelled otherwise': altered(url, (query) => query.set('signature', respelled)),
      'no signature': altered(url, (query) => query.delete('signature')),
      'no expiry': altered(url, (query) => query.delete('expires')),
      'another parameter': altered(url, (query) => query.set('x', '1')),
      'a parameter twice': altered(url, (query) => query.append('expires', query.get('expires') ?? '')),
      'the expiry with a leading zero': altered(url, (query) => query.set('expires', `0${query.get('expires') ?? ''}`)),
      'another file': `${url.pathname.replace(file.id, other.id)}${url.search}`,
      'the id in capitals': `${url.pathname.replace(file.id, file.id.toUpperCase())}${url.search}`,
    };
    for (const [change, path] of Object.entries(changes)) {
      const answer = await fetchSigned(path);
      expect(answer.status, change).to.equal(403);
      expect(answer.body, change).to.deep.equal({ error: 'Invalid signature' });
    }
    expect((await fetchSigned(url)).status, 'the URL as signed').to.equal(200);
  });

  it('answers 403 "Expired" once the URL has expired', async () => {
    const user = await createUser();
    const file = await privateFile(user, randomBytes(100));
    const past = Math.floor(Date.now() / 1000) - 1;
    const query = await signDownload(new ObjectId(file.id), { expires: past });
    expectError(await fetchSigned(`/files/${file.id}/data?${query}`), 403, 'Expired');
  });

  it('stops working when the signing key changes', async () => {
    const user = await createUser();
    const file = await privateFile(user, randomBytes(100));
    const url = await signedUrl(user, file.id);
    await withConfig({ urlSigningSecret: randomBytes(32).toString('hex') }, async () => {
      expectError(await fetchSigned(url), 403, 'Invalid signature');
      expect((await fetchSigned(await signedUrl(user, file.id))).status, 'a URL signed with the new key').to.equal(200);
    });
    expect((await fetchSigned(url)).status, 'back to the first key').to.equal(200);
  });

  it('makes one key for every server that asks at once', async () => {
    const name = `test-${randomBytes(6).toString('hex')}`;
    const keys = await Promise.all(Array.from({ length: 8 }, () => sharedKey(name)));
    expect(keys[0]).to.have.length(32);
    for (const key of keys) expect(key.equals(keys[0] as Buffer)).to.equal(true);
  });

  it('builds the URL from PUBLIC_URL when it is set', async () => {
    const user = await createUser();
    const file = await privateFile(user, randomBytes(100));
    await withConfig({ publicUrl: 'https://files.example.com/api' }, async () => {
      const url = await signedUrl(user, file.id);
      expect(`${url.origin}${url.pathname}`).to.equal(`https://files.example.com/api/files/${file.id}/data`);
    });
  });

  it('names bad values in a 400, like PATCH', async () => {
    const user = await createUser();
    const file = await privateFile(user, randomBytes(100));
    const cases: [unknown, string][] = [
      [{ expiresIn: 0 }, 'Invalid fields: expiresIn'],
      [{ expiresIn: 86_401 }, 'Invalid fields: expiresIn'],
      [{ expiresIn: 1.5 }, 'Invalid fields: expiresIn'],
      [{ expiresIn: '60' }, 'Invalid fields: expiresIn'],
      [{ size: 300 }, 'Invalid fields: size'],
      [{ disposition: 'download' }, 'Invalid fields: disposition'],
      [{ expiresIn: 60, other: true }, 'Unknown fields: other'],
      [[60], 'Expected a JSON object'],
    ];
    for (const [json, message] of cases) expectError(await sign(user, file.id, json), 400, message);
    expect((await sign(user, file.id, { expiresIn: 86_400, size: 100, disposition: 'inline' })).status).to.equal(200);
  });

  it('is for the owner of a file only: 401 without a token, 404 for anyone else, 400 for a folder', async () => {
    const [owner, stranger] = await Promise.all([createUser(), createUser()]);
    const file = await privateFile(owner, randomBytes(100));
    expectError(await api('POST', `/files/${file.id}/url`, { json: {} }), 401, 'Unauthorized');
    expectError(await sign(stranger, file.id), 404, 'Not found');
    expectError(await sign(owner, 'not-an-id'), 404, 'Not found');
    const folder = await upload(owner.token, { name: 'Photos', type: 'folder' });
    expectError(await sign(owner, folder.id), 400, "A folder doesn't have content");
  });

  it('ends with the file: a deleted file is 404 through its URL', async () => {
    const user = await createUser();
    const file = await privateFile(user, randomBytes(100));
    const url = await signedUrl(user, file.id);
    expect((await api('DELETE', `/files/${file.id}`, { token: user.token })).status).to.equal(204);
    expectError(await fetchSigned(url), 404, 'Not found');
  });
});
