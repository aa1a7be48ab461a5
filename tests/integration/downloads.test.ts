import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import sharp from 'sharp';
import { PUBLIC_MAX_AGE_SECONDS } from '../../controllers/download';
import { dbClient } from '../../utils/db';
import { makeThumbnails } from '../../utils/jobs/thumbnails';
import { api, type ApiResponse, base64, blobOfFile, createUser, type PublicFileBody, type RequestOptions, sha256, upload } from '../support';

const DATA_SIZE = 64 * 1024;
const REVALIDATE = { 'Cache-Control': 'max-age=0' };

/** `GET` (or `options.method`) of a path, with the body kept as bytes. */
const fetchPath = (path: string, options: RequestOptions & { method?: string } = {}): Promise<ApiResponse> => api(options.method ?? 'GET', path, options);

async function uploadBytes(token: string, name: string, content: Buffer, extra: Record<string, unknown> = {}): Promise<PublicFileBody> {
  return upload(token, { name, type: 'file', data: base64(content), ...extra });
}

function header(response: { headers: Headers }, name: string): string {
  const value = response.headers.get(name);
  if (value === null) throw new Error(`no ${name} header`);
  return value;
}

describe('GET /files/:id/data with HTTP semantics', () => {
  it('answers HEAD with the headers of GET, a Content-Length and no body', async () => {
    const user = await createUser();
    const content = randomBytes(DATA_SIZE);
    const file = await uploadBytes(user.token, 'blob.bin', content);
    const head = await fetchPath(`/files/${file.id}/data`, { method: 'HEAD', token: user.token });
    const get = await fetchPath(`/files/${file.id}/data`, { token: user.token });
    expect(head.status).to.equal(200);
    expect(head.bytes.length).to.equal(0);
    expect(header(head, 'content-length')).to.equal(String(DATA_SIZE));
    expect(get.bytes.equals(content)).to.equal(true);
    for (const name of ['content-length', 'content-type', 'etag', 'last-modified', 'accept-ranges', 'cache-control', 'content-disposition']) {
      expect(head.headers.get(name), name).to.equal(get.headers.get(name));
    }
  });

  it('serves a single byte range with 206, Content-Range and exactly those bytes', async () => {
    const user = await createUser();
    const content = randomBytes(DATA_SIZE);
    const file = await uploadBytes(user.token, 'blob.bin', content);
    const full = await fetchPath(`/files/${file.id}/data`, { token: user.token });
    expect(header(full, 'accept-ranges')).to.equal('bytes');

    const middle = await fetchPath(`/files/${file.id}/data`, { token: user.token, headers: { Range: 'bytes=1000-1999' } });
    expect(middle.status).to.equal(206);
    expect(header(middle, 'content-range')).to.equal(`bytes 1000-1999/${DATA_SIZE}`);
    expect(header(middle, 'content-length')).to.equal('1000');
    expect(middle.bytes.equals(content.subarray(1000, 2000))).to.equal(true);

    const suffix = await fetchPath(`/files/${file.id}/data`, { token: user.token, headers: { Range: 'bytes=-10' } });
    expect(suffix.status).to.equal(206);
    expect(header(suffix, 'content-range')).to.equal(`bytes ${DATA_SIZE - 10}-${DATA_SIZE - 1}/${DATA_SIZE}`);
    expect(suffix.bytes.equals(content.subarray(DATA_SIZE - 10))).to.equal(true);
  });

  it('answers an unsatisfiable range with 416, the size in Content-Range and {"error":"Range not satisfiable"}', async () => {
    const user = await createUser();
    const content = randomBytes(DATA_SIZE);
    const file = await uploadBytes(user.token, 'blob.bin', content);
    const response = await api('GET', `/files/${file.id}/data`, { token: user.token, headers: { Range: `bytes=${DATA_SIZE}-` } });
    expect(response.status).to.equal(416);
    expect(response.headers.get('content-range')).to.equal(`bytes */${DATA_SIZE}`);
    expect(response.body).to.deep.equal({ error: 'Range not satisfiable' });
    // The JSON error is not the file: it carries neither the file's name nor its tag.
    expect(response.headers.get('content-disposition')).to.equal(null);
    expect(response.headers.get('etag')).to.not.equal(`"${sha256(content)}"`);
  });

  it('tags the content with a strong ETag, the quoted SHA-256 of its bytes', async () => {
    const user = await createUser();
    const content = randomBytes(DATA_SIZE);
    const file = await uploadBytes(user.token, 'blob.bin', content);
    const response = await fetchPath(`/files/${file.id}/data`, { token: user.token });
    expect(header(response, 'etag')).to.equal(`"${sha256(content)}"`);
    const stored = await dbClient.files.findOne({ _id: new ObjectId(file.id) });
    expect(stored?.sha256).to.equal(sha256(content));
  });

  it('answers If-None-Match with the current ETag, and If-Modified-Since its Last-Modified, with 304 and no body', async () => {
    const user = await createUser();
    const file = await uploadBytes(user.token, 'blob.bin', randomBytes(DATA_SIZE));
    const first = await fetchPath(`/files/${file.id}/data`, { token: user.token });
    const etag = header(first, 'etag');
    const lastModified = header(first, 'last-modified');

    // fetch() adds "Cache-Control: no-cache" to conditional requests unless told otherwise,
    // and a server must not answer 304 to that; browsers revalidate with max-age=0.
    const byTag = await fetchPath(`/files/${file.id}/data`, { token: user.token, headers: { 'If-None-Match': etag, ...REVALIDATE } });
    expect(byTag.status).to.equal(304);
    expect(byTag.bytes.length).to.equal(0);
    expect(header(byTag, 'etag')).to.equal(etag);

    const byDate = await fetchPath(`/files/${file.id}/data`, { token: user.token, headers: { 'If-Modified-Since': lastModified, ...REVALIDATE } });
    expect(byDate.status).to.equal(304);
    expect(byDate.bytes.length).to.equal(0);

    const otherTag = await fetchPath(`/files/${file.id}/data`, { token: user.token, headers: { 'If-None-Match': `"${'0'.repeat(64)}"`, ...REVALIDATE } });
    expect(otherTag.status).to.equal(200);
    expect(otherTag.bytes.length).to.equal(DATA_SIZE);
  });

  it('marks a private file "private, no-cache" and a public one cacheable for PUBLIC_MAX_AGE_SECONDS', async () => {
    const user = await createUser();
    const hidden = await uploadBytes(user.token, 'private.bin', randomBytes(100));
    const shared = await uploadBytes(user.token, 'public.bin', randomBytes(100), { isPublic: true });
    const own = await fetchPath(`/files/${hidden.id}/data`, { token: user.token });
    expect(header(own, 'cache-control')).to.equal('private, no-cache');
    const anonymous = await fetchPath(`/files/${shared.id}/data`);
    expect(anonymous.status).to.equal(200);
    expect(header(anonymous, 'cache-control')).to.equal(`public, max-age=${PUBLIC_MAX_AGE_SECONDS}`);
  });

  it('names the file in Content-Disposition with RFC 6266 filename* for a Unicode name, and an ASCII fallback', async () => {
    const user = await createUser();
    const name = 'résumé 履歴書 "final".pdf';
    const file = await uploadBytes(user.token, name, randomBytes(100));
    const response = await fetchPath(`/files/${file.id}/data`, { token: user.token });
    const disposition = header(response, 'content-disposition');
    expect(disposition).to.match(/^inline; filename="[\x20-\x7e]*"; filename\*=UTF-8''[!#$&+.^_`|~0-9A-Za-z%-]+$/);
    const encoded = /filename\*=UTF-8''(.+)$/.exec(disposition)?.[1] ?? '';
    expect(decodeURIComponent(encoded)).to.equal(name);
    expect(header(response, 'content-type')).to.equal('application/pdf');
  });

  for (const [name, content, type] of [
    ['page.html', '<script>document.title = "owned"</script>', 'text/html'],
    ['drawing.svg', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', 'image/svg+xml'],
  ] as const) {
    it(`serves an uploaded ${name} as an attachment with nosniff and a sandbox CSP`, async () => {
      const user = await createUser();
      const file = await uploadBytes(user.token, name, Buffer.from(content), { isPublic: true });
      const response = await fetchPath(`/files/${file.id}/data`);
      expect(response.status).to.equal(200);
      expect(header(response, 'content-type')).to.match(new RegExp(`^${type.replace('+', '\\+')}`));
      expect(header(response, 'content-disposition')).to.equal(`attachment; filename="${name}"`);
      expect(header(response, 'x-content-type-options')).to.equal('nosniff');
      expect(header(response, 'content-security-policy').split(';').map((directive) => directive.trim())).to.include('sandbox');
      expect(response.bytes.toString()).to.equal(content);
    });
  }

  it('serves safe types inline, still with nosniff and a sandbox CSP', async () => {
    const user = await createUser();
    const file = await uploadBytes(user.token, 'notes.txt', Buffer.from('hello'));
    const response = await fetchPath(`/files/${file.id}/data`, { token: user.token });
    expect(header(response, 'content-disposition')).to.equal('inline; filename="notes.txt"');
    expect(header(response, 'x-content-type-options')).to.equal('nosniff');
    expect(header(response, 'content-security-policy')).to.match(/(^|;\s*)sandbox(;|$)/);
  });
});

describe('GET /files/:id/data?size=<width> with HTTP semantics', () => {
  async function imageWithThumbnails(token: string): Promise<PublicFileBody> {
    const png = await sharp({ create: { width: 800, height: 600, channels: 3, background: { r: 200, g: 40, b: 90 } } })
      .png()
      .toBuffer();
    const file = await upload(token, { name: 'photo.png', type: 'image', data: base64(png), isPublic: true });
    await makeThumbnails(await blobOfFile(file.id));
    return file;
  }

  it('answers HEAD, a range and a conditional request for a thumbnail', async () => {
    const user = await createUser();
    const file = await imageWithThumbnails(user.token);
    const full = await fetchPath(`/files/${file.id}/data?size=100`);
    expect(full.status).to.equal(200);
    expect(header(full, 'content-type')).to.equal('image/png');
    expect((await sharp(full.bytes).metadata()).width).to.equal(100);
    const size = full.bytes.length;

    const head = await fetchPath(`/files/${file.id}/data?size=100`, { method: 'HEAD' });
    expect(head.status).to.equal(200);
    expect(header(head, 'content-length')).to.equal(String(size));
    expect(head.bytes.length).to.equal(0);

    const range = await fetchPath(`/files/${file.id}/data?size=100`, { headers: { Range: 'bytes=0-7' } });
    expect(range.status).to.equal(206);
    expect(header(range, 'content-range')).to.equal(`bytes 0-7/${size}`);
    expect(range.bytes.equals(full.bytes.subarray(0, 8))).to.equal(true);

    const cached = await fetchPath(`/files/${file.id}/data?size=100`, { headers: { 'If-None-Match': header(full, 'etag'), ...REVALIDATE } });
    expect(cached.status).to.equal(304);
    // The original's tag names the original's bytes, never a thumbnail's.
    const original = await fetchPath(`/files/${file.id}/data`);
    expect(header(original, 'etag')).to.not.equal(header(full, 'etag'));
  });

  it('answers a thumbnail not made yet with a 404 that carries no file headers and is not cached', async () => {
    const user = await createUser();
    const png = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#000' } }).png().toBuffer();
    const file = await upload(user.token, { name: 'fresh.png', type: 'image', data: base64(png), isPublic: true });
    const response: ApiResponse = await api('GET', `/files/${file.id}/data?size=250`);
    expect(response.status).to.equal(404);
    expect(response.body).to.deep.equal({ error: 'Not found' });
    expect(response.headers.get('content-disposition')).to.equal(null);
    expect(response.headers.get('cache-control')).to.equal('no-store');
  });
});
