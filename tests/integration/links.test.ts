import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { dbClient } from '../../utils/db';
import { makeThumbnails } from '../../utils/jobs/thumbnails';
import { encodeMetadata, MIB, patchUpload, tusRequest, tusUpload } from '../support/tus';
import {
  api,
  type ApiResponse,
  type LinkBody,
  base64,
  blobOfFile,
  createUser,
  expectError,
  harness,
  makeImage,
  multipart,
  type PublicFileBody,
  PUBLIC_FILE_KEYS,
  randomLoopbackAddress,
  sha256,
  type RequestOptions,
  type TestUser,
  upload,
  withConfig,
} from '../support';


const LINK_KEYS = ['allowUpload', 'createdAt', 'downloads', 'expiresAt', 'fileId', 'hasPassword', 'id', 'maxDownloads', 'url'];

async function share(user: TestUser, id: string, json?: unknown): Promise<LinkBody> {
  const answer = await api('POST', `/files/${id}/links`, { token: user.token, json });
  expect(answer.status, answer.text).to.equal(201);
  return answer.body as LinkBody;
}

/** A request to a link's URL (or a path under it), as a visitor with no account makes it. */
function visit(link: LinkBody, rest = '', options: RequestOptions & { method?: string; password?: string } = {}): Promise<ApiResponse> {
  const { pathname } = new URL(link.url);
  const headers = { ...options.headers, ...(options.password === undefined ? {} : { 'X-Link-Password': options.password }) };
  return api(options.method ?? 'GET', `${pathname}${rest}`, { ...options, headers });
}

async function fileOf(user: TestUser, name: string, content: Buffer, parentId?: string): Promise<PublicFileBody> {
  return upload(user.token, { name, type: 'file', data: base64(content), ...(parentId === undefined ? {} : { parentId }) });
}

async function folderOf(user: TestUser, name: string, parentId?: string): Promise<PublicFileBody> {
  return upload(user.token, { name, type: 'folder', ...(parentId === undefined ? {} : { parentId }) });
}

describe('shared links: the owner’s side', () => {
  it('creates a link with no options: an absolute URL with 192 random bits, absent options null or false', async () => {
    const user = await createUser();
    const file = await fileOf(user, 'a.txt', Buffer.from('a'));
    const before = Date.now();
    const link = await share(user, file.id);
    expect(Object.keys(link).sort()).to.deep.equal(LINK_KEYS);
    expect(link).to.include({ fileId: file.id, expiresAt: null, maxDownloads: null, downloads: 0, hasPassword: false, allowUpload: false });
    expect(link.id).to.match(/^[0-9a-f]{24}$/);
    expect(link.url).to.match(new RegExp(`^${harness().baseUrl}/s/[A-Za-z0-9_-]{32}$`));
    expect(Date.parse(link.createdAt)).to.be.within(before - 1000, Date.now() + 1000);
    const other = await share(user, file.id);
    expect(other.url).not.to.equal(link.url);
  });

  it('keeps every option, and the password only as an scrypt hash', async () => {
    const user = await createUser();
    const folder = await folderOf(user, 'Photos');
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const link = await share(user, folder.id, { expiresAt, password: 'open sesame', maxDownloads: 3, allowUpload: true });
    expect(link).to.include({ expiresAt, maxDownloads: 3, downloads: 0, hasPassword: true, allowUpload: true });
    const stored = await dbClient.links.findOne({ _id: new ObjectId(link.id) });
    expect(stored?.passwordHash).to.match(/^scrypt\$/);
    expect(JSON.stringify(stored)).not.to.include('open sesame');
  });

  it('builds the URL from PUBLIC_URL when it is set', async () => {
    const user = await createUser();
    const file = await fileOf(user, 'a.txt', Buffer.from('a'));
    await withConfig({ publicUrl: 'https://files.example.com' }, async () => {
      expect((await share(user, file.id)).url).to.match(/^https:\/\/files\.example\.com\/s\/[A-Za-z0-9_-]{32}$/);
    });
  });

  it('names bad values in a 400, like PATCH', async () => {
    const user = await createUser();
    const file = await fileOf(user, 'a.txt', Buffer.from('a'));
    const cases: [unknown, string][] = [
      [{ expiresAt: new Date(Date.now() - 1000).toISOString() }, 'Invalid fields: expiresAt'],
      [{ expiresAt: 'tomorrow' }, 'Invalid fields: expiresAt'],
      [{ password: '' }, 'Invalid fields: password'],
      [{ password: 'x'.repeat(257) }, 'Invalid fields: password'],
      [{ maxDownloads: 0 }, 'Invalid fields: maxDownloads'],
      [{ maxDownloads: 1.5 }, 'Invalid fields: maxDownloads'],
      [{ maxDownloads: '3' }, 'Invalid fields: maxDownloads'],
      [{ allowUpload: 'yes' }, 'Invalid fields: allowUpload'],
      [{ allowUpload: true }, 'Invalid fields: allowUpload'],
      [{ maxDownloads: 0, other: 1 }, 'Unknown fields: other; Invalid fields: maxDownloads'],
      [[1], 'Expected a JSON object'],
    ];
    for (const [json, message] of cases) expectError(await api('POST', `/files/${file.id}/links`, { token: user.token, json }), 400, message);
    expect(await share(user, file.id, { password: 'x'.repeat(256), maxDownloads: 1 })).to.include({ hasPassword: true });
  });

  it('lists a file’s links oldest first, and revokes one at once', async () => {
    const user = await createUser();
    const file = await fileOf(user, 'a.txt', Buffer.from('hello'));
    const first = await share(user, file.id);
    const second = await share(user, file.id, { maxDownloads: 5 });
    const listed = await api('GET', `/files/${file.id}/links`, { token: user.token });
    expect(listed.status).to.equal(200);
    expect((listed.body as LinkBody[]).map((link) => link.id)).to.deep.equal([first.id, second.id]);
    expect((listed.body as LinkBody[])[1]).to.deep.equal(second);

    expect((await visit(first)).status).to.equal(200);
    expect((await api('DELETE', `/links/${first.id}`, { token: user.token })).status).to.equal(204);
    expectError(await visit(first), 404, 'Not found');
    expectError(await api('DELETE', `/links/${first.id}`, { token: user.token }), 404, 'Not found');
    expect((await visit(second)).status, 'the other link').to.equal(200);
  });

  it('is the owner’s only: 401 without a token, 404 for anyone else’s file or link', async () => {
    const [owner, stranger] = await Promise.all([createUser(), createUser()]);
    const file = await fileOf(owner, 'a.txt', Buffer.from('a'));
    const link = await share(owner, file.id);
    expectError(await api('POST', `/files/${file.id}/links`, { json: {} }), 401, 'Unauthorized');
    expectError(await api('GET', `/files/${file.id}/links`), 401, 'Unauthorized');
    expectError(await api('DELETE', `/links/${link.id}`), 401, 'Unauthorized');
    expectError(await api('POST', `/files/${file.id}/links`, { token: stranger.token, json: {} }), 404, 'Not found');
    expectError(await api('GET', `/files/${file.id}/links`, { token: stranger.token }), 404, 'Not found');
    expectError(await api('DELETE', `/links/${link.id}`, { token: stranger.token }), 404, 'Not found');
    expectError(await api('DELETE', '/links/nonsense', { token: owner.token }), 404, 'Not found');
    expect((await visit(link)).status, 'still open').to.equal(200);
  });

  it('ends the links of a deleted file, and of everything under a deleted folder, and removes them with the trash', async () => {
    const user = await createUser();
    const folder = await folderOf(user, 'Old');
    const inner = await fileOf(user, 'inner.txt', Buffer.from('x'), folder.id);
    const file = await fileOf(user, 'a.txt', Buffer.from('a'));
    const links = [await share(user, file.id), await share(user, folder.id), await share(user, inner.id)];
    expect((await api('DELETE', `/files/${file.id}`, { token: user.token })).status).to.equal(204);
    expect((await api('DELETE', `/files/${folder.id}`, { token: user.token })).status).to.equal(204);
    for (const link of links) expectError(await visit(link), 404, 'Not found');
    // In the trash they only stop working (a restore brings them back); gone for good, they go too.
    const ids = [file.id, folder.id, inner.id].map((id) => new ObjectId(id));
    expect(await dbClient.links.countDocuments({ fileId: { $in: ids } })).to.equal(3);
    expect((await api('DELETE', '/trash', { token: user.token })).status).to.equal(204);
    expect(await dbClient.links.countDocuments({ fileId: { $in: ids } })).to.equal(0);
  });
});

describe('shared links: what anyone with the URL reaches', () => {
  it('serves a linked file with every download guarantee, to a visitor with no account', async () => {
    const user = await createUser();
    const content = randomBytes(5000);
    const file = await fileOf(user, 'report.bin', content);
    const link = await share(user, file.id);
    const served = await visit(link);
    expect(served.status).to.equal(200);
    expect(served.bytes.equals(content)).to.equal(true);
    for (const [name, value] of Object.entries({
      'content-disposition': 'inline; filename="report.bin"',
      'content-security-policy': "sandbox; default-src 'none'",
      'x-content-type-options': 'nosniff',
      'accept-ranges': 'bytes',
      'cache-control': 'private, no-cache',
    })) {
      expect(served.headers.get(name), name).to.equal(value);
    }
    const part = await visit(link, '', { headers: { Range: 'bytes=10-19' } });
    expect(part.status).to.equal(206);
    expect(part.bytes.equals(content.subarray(10, 20))).to.equal(true);
    const head = await visit(link, '', { method: 'HEAD' });
    expect(head.headers.get('content-length')).to.equal('5000');
    expect((await visit(link, '', { headers: { 'If-None-Match': head.headers.get('etag') ?? '' } })).status).to.equal(304);
    expectError(await api('GET', `/files/${file.id}/data`), 404, 'Not found');
  });

  it('serves a linked image’s thumbnails', async () => {
    const user = await createUser();
    const image = await upload(user.token, { name: 'photo.png', type: 'image', data: base64(await makeImage(600, 400)) });
    await makeThumbnails(await blobOfFile(image.id));
    const link = await share(user, image.id);
    const thumbnail = await visit(link, '?size=100');
    expect(thumbnail.status).to.equal(200);
    expect(thumbnail.headers.get('content-type')).to.equal('image/png');
    expectError(await visit(link, '?size=99'), 400, 'Invalid size');
  });

  it('lists a linked folder 20 at a time, folders under it, and serves anything under it — only under it', async () => {
    const user = await createUser();
    const outside = await fileOf(user, 'outside.txt', Buffer.from('not shared'));
    const folder = await folderOf(user, 'Shared');
    const sub = await folderOf(user, 'Sub', folder.id);
    const deep = await fileOf(user, 'deep.txt', Buffer.from('deep'), sub.id);
    const children = [sub];
    for (let index = 0; index < 24; index += 1) children.push(await fileOf(user, `f${index}.txt`, Buffer.from(String(index)), folder.id));
    const link = await share(user, folder.id);

    const first = await visit(link);
    const second = await visit(link, '?page=1');
    expect(first.status).to.equal(200);
    expect((first.body as PublicFileBody[]).length).to.equal(20);
    expect(Object.keys((first.body as PublicFileBody[])[0] ?? {}).sort()).to.deep.equal([...PUBLIC_FILE_KEYS].sort());
    const listed = [...(first.body as PublicFileBody[]), ...(second.body as PublicFileBody[])].map((file) => file.id);
    expect(listed.sort()).to.deep.equal(children.map((file) => file.id).sort());
    expect(((await visit(link, `?parentId=${sub.id}`)).body as PublicFileBody[]).map((file) => file.id)).to.deep.equal([deep.id]);
    expect((await visit(link, `?parentId=${deep.id}`)).body, 'a file lists nothing').to.deep.equal([]);
    expectError(await visit(link, `?parentId=${outside.id}`), 404, 'Not found');

    const shown = await visit(link, `/files/${deep.id}`);
    expect(shown.status).to.equal(200);
    expect((shown.body as PublicFileBody).name).to.equal('deep.txt');
    expect((await visit(link, `/files/${deep.id}/data`)).text).to.equal('deep');
    expect((await visit(link, `/files/${folder.id}`)).status, 'the folder itself').to.equal(200);
    expectError(await visit(link, `/files/${outside.id}`), 404, 'Not found');
    expectError(await visit(link, `/files/${outside.id}/data`), 404, 'Not found');
    expectError(await visit(link, `/files/${deep.id.toUpperCase()}x`), 404, 'Not found');
  });

  it('asks for the password in X-Link-Password: 401 "Password required" without it or with a wrong one', async () => {
    const user = await createUser();
    const file = await fileOf(user, 'a.txt', Buffer.from('secret'));
    const link = await share(user, file.id, { password: 'open sesame' });
    expectError(await visit(link), 401, 'Password required');
    expectError(await visit(link, '', { password: 'open sesam' }), 401, 'Password required');
    expect((await visit(link, '', { method: 'HEAD', password: 'wrong' })).status).to.equal(401);
    expect((await visit(link, '', { password: 'open sesame' })).text).to.equal('secret');
  });

  it('throttles wrong passwords per link and address as logins are', async () => {
    const user = await createUser();
    const file = await fileOf(user, 'a.txt', Buffer.from('secret'));
    const link = await share(user, file.id, { password: 'right' });
    const other = await share(user, file.id, { password: 'right' });
    const throttled = (current: { throttle: object }) => ({ throttle: { ...current.throttle, exempt: new net.BlockList(), loginMaxFailures: 3 } });
    await withConfig(throttled as never, async () => {
      const address = randomLoopbackAddress();
      for (let attempt = 0; attempt < 3; attempt += 1) expectError(await visit(link, '', { password: 'wrong', localAddress: address }), 401, 'Password required');
      const locked = await visit(link, '', { password: 'right', localAddress: address });
      expectError(locked, 429, 'Too many requests');
      expect(Number(locked.headers.get('retry-after'))).to.be.above(0);
      expect((await visit(link, '', { password: 'right', localAddress: randomLoopbackAddress() })).status, 'another address').to.equal(200);
      expect((await visit(other, '', { password: 'right', localAddress: address })).status, 'another link').to.equal(200);
      expectError(await visit(link, '', { localAddress: randomLoopbackAddress() }), 401, 'Password required');
    });
  });

  it('ends at its expiry: 404 as if it never existed', async function () {
    this.slow(8000);
    const user = await createUser();
    const file = await fileOf(user, 'a.txt', Buffer.from('a'));
    // Room for two scrypt checks on a slow machine before it ends.
    const link = await share(user, file.id, { expiresAt: new Date(Date.now() + 4000).toISOString(), password: 'p' });
    expect((await visit(link, '', { password: 'p' })).status).to.equal(200);
    await new Promise((resolve) => setTimeout(resolve, Date.parse(link.expiresAt ?? '') - Date.now() + 100));
    expectError(await visit(link, '', { password: 'p' }), 404, 'Not found');
    expectError(await visit(link), 404, 'Not found');
    expectError(await visit({ ...link, url: `${harness().baseUrl}/s/${'A'.repeat(32)}` }), 404, 'Not found');
  });

  it('counts complete downloads only (no Range, or one from byte 0), and ends after maxDownloads', async () => {
    const user = await createUser();
    const image = await upload(user.token, { name: 'photo.png', type: 'image', data: base64(await makeImage(300, 200)) });
    await makeThumbnails(await blobOfFile(image.id));
    const link = await share(user, image.id, { maxDownloads: 2 });
    const downloads = async (): Promise<number> => ((await api('GET', `/files/${image.id}/links`, { token: user.token })).body as LinkBody[])[0]?.downloads ?? NaN;

    const head = await visit(link, '', { method: 'HEAD' });
    expect((await visit(link, '', { headers: { 'If-None-Match': head.headers.get('etag') ?? '' } })).status).to.equal(304);
    expect((await visit(link, '', { headers: { Range: 'bytes=100-199' } })).status).to.equal(206);
    expect((await visit(link, '?size=100')).status).to.equal(200);
    expect(await downloads(), 'HEAD, 304, a later range and a thumbnail').to.equal(0);

    expect((await visit(link, '', { headers: { Range: 'bytes=0-99' } })).status).to.equal(206);
    expect(await downloads()).to.equal(1);
    expect((await visit(link)).status).to.equal(200);
    expect(await downloads()).to.equal(2);
    expectError(await visit(link), 404, 'Not found');
    expect((await visit(link, '', { method: 'HEAD' })).status).to.equal(404);
    expectError(await visit(link, '?size=100'), 404, 'Not found');
  });

  it('gives the bytes to exactly maxDownloads of 20 parallel downloads', async () => {
    const user = await createUser();
    const content = randomBytes(256 * 1024);
    const file = await fileOf(user, 'popular.bin', content);
    const link = await share(user, file.id, { maxDownloads: 3 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => visit(link)));
    const served = answers.filter((answer) => answer.status === 200);
    expect(served.length).to.equal(3);
    for (const answer of served) expect(answer.bytes.equals(content)).to.equal(true);
    for (const answer of answers.filter((each) => each.status !== 200)) expectError(answer, 404, 'Not found');
    const stored = await dbClient.links.findOne({ _id: new ObjectId(link.id) });
    expect(stored?.downloads).to.equal(3);
  });
});

describe('shared links: drop folders', () => {
  async function dropFolder(password?: string): Promise<{ owner: TestUser; folder: PublicFileBody; link: LinkBody }> {
    const owner = await createUser();
    const folder = await folderOf(owner, 'Inbox');
    const link = await share(owner, folder.id, { allowUpload: true, ...(password === undefined ? {} : { password }) });
    return { owner, folder, link };
  }

  async function childrenOf(owner: TestUser, folder: PublicFileBody): Promise<PublicFileBody[]> {
    return (await api('GET', `/files?parentId=${folder.id}`, { token: owner.token })).body as PublicFileBody[];
  }

  it('lists nothing, shows nothing, and takes uploads in every form of POST /files as its owner’s private files', async () => {
    const { owner, folder, link } = await dropFolder();
    const elsewhere = await folderOf(owner, 'Elsewhere');
    await fileOf(owner, 'already.txt', Buffer.from('x'), folder.id);
    expect((await visit(link)).body).to.deep.equal([]);

    const form = multipart([
      { name: 'type', value: 'file' },
      { name: 'parentId', value: elsewhere.id },
      { name: 'file', filename: 'form.txt', content: Buffer.from('from a form') },
    ]);
    const viaForm = await visit(link, '', { method: 'POST', body: form.body, headers: { 'Content-Type': form.contentType } });
    expect(viaForm.status, viaForm.text).to.equal(201);
    expect(viaForm.body).to.include({ name: 'form.txt', type: 'file', isPublic: false, parentId: folder.id, userId: owner.id });
    const raw = await visit(link, `?name=raw.bin&type=file&isPublic=true&parentId=${elsewhere.id}`, {
      method: 'POST',
      body: randomBytes(1000),
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    expect(raw.status, raw.text).to.equal(201);
    expect(raw.body).to.include({ name: 'raw.bin', isPublic: false, parentId: folder.id });
    const json = await visit(link, '', { method: 'POST', json: { name: 'note.txt', type: 'file', data: base64('a note') } });
    expect(json.status, json.text).to.equal(201);

    const names = (await childrenOf(owner, folder)).map((file) => file.name).sort();
    expect(names).to.deep.equal(['already.txt', 'form.txt', 'note.txt', 'raw.bin']);
    expect(await childrenOf(owner, elsewhere)).to.deep.equal([]);
    const id = (json.body as PublicFileBody).id;
    expect((await api('GET', `/files/${id}/data`, { token: owner.token })).text).to.equal('a note');
    expectError(await visit(link, `/files/${id}`), 404, 'Not found');
    expectError(await visit(link, `/files/${id}/data`), 404, 'Not found');
  });

  it('refuses folders, bad metadata, and uploads through a link that is not a drop folder’s', async () => {
    const { owner, folder, link } = await dropFolder();
    expectError(await visit(link, '', { method: 'POST', json: { name: 'sub', type: 'folder' } }), 400, 'Missing type');
    expectError(await visit(link, '', { method: 'POST', json: { type: 'file', data: base64('x') } }), 400, 'Missing name');
    const readOnly = await share(owner, folder.id);
    expectError(await visit(readOnly, '', { method: 'POST', json: { name: 'a.txt', type: 'file', data: base64('x') } }), 404, 'Not found');
    expect(await childrenOf(owner, folder)).to.deep.equal([]);
  });

  it('asks for its password before it reads a byte', async () => {
    const { owner, folder, link } = await dropFolder('letmein');
    const body = { name: 'a.txt', type: 'file', data: base64('x') };
    expectError(await visit(link, '', { method: 'POST', json: body }), 401, 'Password required');
    expect((await visit(link, '', { method: 'POST', json: body, password: 'letmein' })).status).to.equal(201);
    expect((await childrenOf(owner, folder)).length).to.equal(1);
  });

  it('takes resumable uploads with tus-js-client at the link’s URL, the upload’s own URL under it', async () => {
    const { owner, folder, link } = await dropFolder('letmein');
    const content = randomBytes(3 * MIB + 5);
    const outcome = await tusUpload(content, {
      endpoint: link.url,
      chunkSize: MIB,
      headers: { 'X-Link-Password': 'letmein' },
      // As Uppy sends them: filename, and the MIME type as type.
      metadata: { filename: 'big.bin', type: 'application/octet-stream', parentId: 'ignored' },
    });
    expect(outcome.url.startsWith(`${link.url}/uploads/`), outcome.url).to.equal(true);
    const shown = await api('GET', `/files/${outcome.fileId ?? ''}?fields=all`, { token: owner.token });
    expect(shown.body).to.include({ name: 'big.bin', parentId: folder.id, isPublic: false, size: content.length, sha256: sha256(content) });
  });

  it('keeps a drop folder’s resumable uploads apart from its owner’s others', async () => {
    const { owner, link } = await dropFolder();
    const own = await tusRequest('POST', `${harness().baseUrl}/uploads`, {
      token: owner.token,
      headers: { 'Upload-Length': '10', 'Upload-Metadata': encodeMetadata({ name: 'mine.bin', type: 'file' }) },
    });
    const ownId = (own.headers.get('location') ?? '').split('/').pop() ?? '';
    const throughLink = `${link.url}/uploads/${ownId}`;
    expect((await tusRequest('HEAD', throughLink)).status).to.equal(404);
    expect((await patchUpload(throughLink, '', 0, Buffer.alloc(10))).status).to.equal(404);
    expect((await tusRequest('DELETE', throughLink)).status).to.equal(404);
    expect((await tusRequest('HEAD', own.headers.get('location') ?? '', { token: owner.token })).status, 'still there').to.equal(200);
  });
});

describe('shared links: what a browser gets', () => {
  const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

  it('describes the link to a visitor: the file or folder, whether it takes uploads, until when', async () => {
    const user = await createUser();
    const file = await fileOf(user, 'a.txt', Buffer.from('hello'));
    const link = await share(user, file.id, { password: 'pw' });
    expectError(await visit(link, '/info'), 401, 'Password required');
    const info = await visit(link, '/info', { password: 'pw' });
    expect(info.status).to.equal(200);
    expect(info.body).to.deep.include({ allowUpload: false, expiresAt: null });
    expect((info.body as { file: Record<string, unknown> }).file).to.include({ id: file.id, name: 'a.txt', type: 'file', size: 5 });
  });

  it('trades the password for an HttpOnly, SameSite=Strict cookie scoped to the link, valid for an hour', async () => {
    const user = await createUser();
    const file = await fileOf(user, 'a.txt', Buffer.from('hello'));
    // A space: never part of a base64url cookie, so finding it there could only be a leak.
    const password = 'open sesame';
    const link = await share(user, file.id, { password });
    const other = await share(user, file.id, { password });
    const token = new URL(link.url).pathname.split('/').pop() ?? '';
    expectError(await visit(link, '/session', { method: 'POST', json: { password: 'nope' } }), 401, 'Password required');
    expectError(await visit(link, '/session', { method: 'POST', json: {} }), 400, 'Invalid fields: password');

    const opened = await visit(link, '/session', { method: 'POST', json: { password } });
    expect(opened.status).to.equal(204);
    const cookie = opened.headers.get('set-cookie') ?? '';
    expect(cookie).to.match(/^fm_link=\d+\.[A-Za-z0-9_-]{43}; /);
    for (const attribute of [`Path=/s/${token}`, 'HttpOnly', 'SameSite=Strict', 'Max-Age=3600']) expect(cookie).to.include(attribute);
    expect(cookie).not.to.include(password);
    const session = cookie.split(';')[0] ?? '';

    expect((await visit(link, '', { headers: { Cookie: session } })).text).to.equal('hello');
    expect((await visit(link, '/info', { headers: { Cookie: `theme=dark; ${session}` } })).status).to.equal(200);
    expectError(await visit(other, '', { headers: { Cookie: session } }), 401, 'Password required');
    const [name, value] = session.split('=');
    expectError(await visit(link, '', { headers: { Cookie: `${name}=${(value ?? '').replace(/.$/, (last) => (last === 'A' ? 'B' : 'A'))}` } }), 401, 'Password required');

    const open = await share(user, file.id);
    const none = await visit(open, '/session', { method: 'POST', json: { password: 'anything' } });
    expect(none.status).to.equal(204);
    expect(none.headers.get('set-cookie')).to.equal(null);
  });

  it('serves the web app’s link page to a browser, and the API to every other client', async () => {
    const user = await createUser();
    const file = await fileOf(user, 'a.txt', Buffer.from('hello'));
    const link = await share(user, file.id);
    const page = await visit(link, '', { headers: { Accept: BROWSER_ACCEPT } });
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/^text\/html/);
    expect(page.text).to.include('/assets/share.js');
    expect((await visit(link, '/info', { headers: { Accept: BROWSER_ACCEPT } })).status, 'the API under it').to.equal(200);
    for (const accept of [undefined, '*/*', 'application/json', 'image/avif,image/webp,*/*']) {
      const answer = await visit(link, '', accept === undefined ? {} : { headers: { Accept: accept } });
      expect(answer.text, accept).to.equal('hello');
    }
  });
});
