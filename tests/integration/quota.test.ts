import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { dbClient } from '../../utils/db';
import { removeExpiredUploads } from '../../utils/files/resumable/upload';
import { setUserQuota, withUsageLock } from '../../utils/users/quota';
import type { components } from '../../web/src/generated/openapi';
import { createUpload, encodeMetadata, patchUpload, tusRequest } from '../support/tus';
import {
  api,
  base64,
  createUser,
  expectError,
  expectNothingStored,
  harness,
  type PublicFileBody,
  storedKeys,
  type TestUser,
  upload,
  uploadMultipart,
  uploadRaw,
  withConfig,
} from '../support';

type UsageBody = components['schemas']['Usage'];

async function usageOf(user: TestUser): Promise<UsageBody> {
  const answer = await api('GET', '/users/me/usage', { token: user.token });
  expect(answer.status, answer.text).to.equal(200);
  return answer.body as UsageBody;
}

async function userWithQuota(quota: number | null): Promise<TestUser> {
  const user = await createUser();
  await setUserQuota(new ObjectId(user.id), quota);
  return user;
}

/** The sizes of the user's files, summed from their documents. */
async function storedBytes(user: TestUser): Promise<number> {
  const docs = await dbClient.files.find({ userId: new ObjectId(user.id) }).toArray();
  return docs.reduce((total, doc) => total + (doc.size ?? 0), 0);
}

/** A body that arrives in pieces, without a Content-Length (chunked). */
function streamed(data: Buffer): Readable {
  return Readable.from([data.subarray(0, data.length / 2), data.subarray(data.length / 2)]);
}

describe('GET /users/me/usage', () => {
  it('answers exactly {used, quota, trash, files}; a new user has nothing, under QUOTA_BYTES (unlimited by default)', async () => {
    const user = await createUser();
    const usage = await usageOf(user);
    expect(usage).to.deep.equal({ used: 0, quota: null, trash: 0, files: 0 });
    await withConfig({ quotaBytes: 5000 }, async () => expect((await usageOf(user)).quota).to.equal(5000));
    expectError(await api('GET', '/users/me/usage'), 401, 'Unauthorized');
    const me = await api('GET', '/users/me', { token: user.token });
    expect(Object.keys(me.body as object).sort()).to.deep.equal(['email', 'id']);
  });

  it('counts every form of upload as it is stored, folders as nothing, and a user’s quota over QUOTA_BYTES', async () => {
    const user = await userWithQuota(10_000);
    await upload(user.token, { name: 'json.txt', type: 'file', data: base64('12345') });
    expect((await uploadMultipart(user.token, [{ name: 'name', value: 'form.bin' }, { name: 'type', value: 'file' }, { name: 'file', filename: 'f', content: Buffer.alloc(100) }])).status).to.equal(201);
    expect((await uploadRaw(user.token, { name: 'raw.bin', type: 'file' }, Buffer.alloc(1000))).status).to.equal(201);
    await upload(user.token, { name: 'folder', type: 'folder' });
    await withConfig({ quotaBytes: 1 }, async () => expect(await usageOf(user)).to.deep.equal({ used: 1105, quota: 10_000, trash: 0, files: 3 }));
    await setUserQuota(new ObjectId(user.id), null);
    await withConfig({ quotaBytes: 1 }, async () => expect((await usageOf(user)).quota).to.equal(null));
  });

  it('counts an account older than quotas from its documents, once', async () => {
    const user = await createUser();
    await upload(user.token, { name: 'a.txt', type: 'file', data: base64('abc') });
    await dbClient.usage.deleteOne({ _id: new ObjectId(user.id) });
    expect(await usageOf(user)).to.deep.equal({ used: 3, quota: null, trash: 0, files: 1 });
    await upload(user.token, { name: 'b.txt', type: 'file', data: base64('de') });
    expect(await usageOf(user)).to.deep.equal({ used: 5, quota: null, trash: 0, files: 2 });
  });
});

describe('quotas', () => {
  it('refuses a raw upload whose Content-Length does not fit before reading it: 507, nothing stored', async () => {
    const user = await userWithQuota(1000);
    const before = await storedKeys();
    expectError(await uploadRaw(user.token, { name: 'big.bin', type: 'file' }, randomBytes(1001)), 507, 'Quota exceeded');
    await expectNothingStored(user.id, before);
    expect(await usageOf(user)).to.deep.equal({ used: 0, quota: 1000, trash: 0, files: 0 });
    expect((await uploadRaw(user.token, { name: 'exact.bin', type: 'file' }, randomBytes(1000))).status).to.equal(201);
  });

  for (const [form, send] of [
    ['JSON', (user: TestUser, data: Buffer) => api('POST', '/files', { token: user.token, json: { name: 'big', type: 'file', data: base64(data) } })],
    ['multipart', (user: TestUser, data: Buffer) => uploadMultipart(user.token, [{ name: 'type', value: 'file' }, { name: 'file', filename: 'big', content: data }])],
    ['a chunked raw body', (user: TestUser, data: Buffer) => uploadRaw(user.token, { name: 'big', type: 'file' }, streamed(data))],
  ] as const) {
    it(`refuses ${form} past the quota while it streams: 507, nothing stored; what fits is taken`, async () => {
      const user = await userWithQuota(64 * 1024);
      const before = await storedKeys();
      expectError(await send(user, randomBytes(64 * 1024 + 1)), 507, 'Quota exceeded');
      await expectNothingStored(user.id, before);
      expect((await usageOf(user)).used).to.equal(0);
      const fits = await send(user, randomBytes(64 * 1024));
      expect(fits.status, fits.text).to.equal(201);
      expect(await usageOf(user)).to.include({ used: 64 * 1024, files: 1 });
    });
  }

  it('holds exactly under 20 parallel uploads that together exceed the quota, in every form', async () => {
    const size = 1000;
    const user = await userWithQuota(size * 7 + 500);
    const data = randomBytes(size);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) => {
        if (index % 3 === 0) return api('POST', '/files', { token: user.token, json: { name: `j${index}`, type: 'file', data: base64(data) } });
        if (index % 3 === 1) return uploadRaw(user.token, { name: `r${index}`, type: 'file' }, data);
        return uploadRaw(user.token, { name: `c${index}`, type: 'file' }, streamed(data));
      }),
    );
    const created = answers.filter((answer) => answer.status === 201).length;
    for (const answer of answers) if (answer.status !== 201) expectError(answer, 507, 'Quota exceeded');
    expect(created, 'as many as fit: seven').to.equal(7);
    const usage = await usageOf(user);
    expect(usage).to.deep.equal({ used: created * size, quota: size * 7 + 500, trash: 0, files: created });
    expect(await storedBytes(user)).to.equal(usage.used);
  });

  it('counts the trash until it is emptied', async () => {
    const user = await userWithQuota(100);
    const file = await upload(user.token, { name: 'a', type: 'file', data: base64(Buffer.alloc(80)) });
    await api('DELETE', `/files/${file.id}`, { token: user.token });
    expectError(await uploadRaw(user.token, { name: 'b', type: 'file' }, Buffer.alloc(80)), 507, 'Quota exceeded');
    await api('DELETE', '/trash', { token: user.token });
    expect((await uploadRaw(user.token, { name: 'b', type: 'file' }, Buffer.alloc(80))).status).to.equal(201);
  });

  it('lets a user over a lowered quota delete, but store nothing more', async () => {
    const user = await userWithQuota(null);
    const file = await upload(user.token, { name: 'a', type: 'file', data: base64(Buffer.alloc(500)) });
    await setUserQuota(new ObjectId(user.id), 100);
    expectError(await uploadRaw(user.token, { name: 'empty', type: 'file' }, Buffer.alloc(0)), 507, 'Quota exceeded');
    expect((await api('POST', '/files', { token: user.token, json: { name: 'folders are free', type: 'folder' } })).status).to.equal(201);
    await withConfig({ trashRetentionDays: 0 }, () => api('DELETE', `/files/${file.id}`, { token: user.token }));
    expect(await usageOf(user)).to.deep.equal({ used: 0, quota: 100, trash: 0, files: 0 });
  });

  it('counts uploads into a drop folder against its owner', async () => {
    const owner = await userWithQuota(100);
    const folder = await upload(owner.token, { name: 'inbox', type: 'folder' });
    const link = await api('POST', `/files/${folder.id}/links`, { token: owner.token, json: { allowUpload: true } });
    const path = new URL((link.body as { url: string }).url).pathname;
    const fits = await api('POST', `${path}?name=a.bin&type=file`, { body: Buffer.alloc(60), headers: { 'Content-Type': 'application/octet-stream' } });
    expect(fits.status, fits.text).to.equal(201);
    expectError(await api('POST', `${path}?name=b.bin&type=file`, { body: Buffer.alloc(60), headers: { 'Content-Type': 'application/octet-stream' } }), 507, 'Quota exceeded');
    expect(await usageOf(owner)).to.include({ used: 60, files: 1 });
  });

  it('forgets a lease whose server died once it lapses, and counts it until then', async () => {
    const user = await userWithQuota(1000);
    const owner = new ObjectId(user.id);
    await dbClient.usage.updateOne({ _id: owner }, { $set: { 'leases.dead': { bytes: 900, until: new Date(Date.now() + 60_000) } } });
    expect((await usageOf(user)).used).to.equal(900);
    expectError(await uploadRaw(user.token, { name: 'a', type: 'file' }, Buffer.alloc(200)), 507, 'Quota exceeded');
    await dbClient.usage.updateOne({ _id: owner }, { $set: { 'leases.dead.until': new Date(Date.now() - 1) } });
    expect((await usageOf(user)).used).to.equal(0);
    expect((await uploadRaw(user.token, { name: 'a', type: 'file' }, Buffer.alloc(200))).status).to.equal(201);
    expect(Object.keys((await dbClient.usage.findOne({ _id: owner }))?.leases ?? {})).to.deep.equal([]);
  });
});

describe('quotas and resumable uploads', () => {
  const metadata = { name: 'r.bin', type: 'file' };

  it('refuses an Upload-Length that does not fit at creation: 507, no upload', async () => {
    const user = await userWithQuota(1000);
    const reply = await tusRequest('POST', `${harness().baseUrl}/uploads`, { token: user.token, headers: { 'Upload-Length': '1001', 'Upload-Metadata': encodeMetadata(metadata) } });
    expect(reply.status, reply.text).to.equal(507);
    expect(JSON.parse(reply.text)).to.deep.equal({ error: 'Quota exceeded' });
    expect(await dbClient.uploads.countDocuments({ userId: new ObjectId(user.id) })).to.equal(0);
  });

  it('counts an unfinished upload at its declared length, then as its file; a terminated one gives it back', async () => {
    const user = await userWithQuota(1000);
    const { url } = await createUpload(harness().baseUrl, user.token, 600, metadata);
    expect(await usageOf(user)).to.include({ used: 600, files: 0 });
    expectError(await uploadRaw(user.token, { name: 'x', type: 'file' }, Buffer.alloc(500)), 507, 'Quota exceeded');
    const data = randomBytes(600);
    expect((await patchUpload(url, user.token, 0, data.subarray(0, 300))).status).to.equal(204);
    expect((await usageOf(user)).used).to.equal(600);
    const done = await patchUpload(url, user.token, 300, data.subarray(300));
    expect(done.status, done.text).to.equal(204);
    expect(await usageOf(user)).to.deep.equal({ used: 600, quota: 1000, trash: 0, files: 1 });

    const second = await createUpload(harness().baseUrl, user.token, 400, metadata);
    expect((await usageOf(user)).used).to.equal(1000);
    expect((await tusRequest('DELETE', second.url, { token: user.token })).status).to.equal(204);
    expect(await usageOf(user)).to.deep.equal({ used: 600, quota: 1000, trash: 0, files: 1 });
  });

  it('gives back what an expired upload held when the sweep removes it', async () => {
    const user = await userWithQuota(1000);
    await createUpload(harness().baseUrl, user.token, 700, metadata);
    expect((await usageOf(user)).used).to.equal(700);
    await removeExpiredUploads(new Date(Date.now() + 2 * 86_400_000));
    expect((await usageOf(user)).used).to.equal(0);
  });

  it('keeps a file finished twice (a HEAD after a lost answer) counted once', async () => {
    const user = await userWithQuota(null);
    const data = randomBytes(100);
    const { url } = await createUpload(harness().baseUrl, user.token, 100, metadata, data);
    const head = await tusRequest('HEAD', url, { token: user.token });
    expect(head.headers.get('file-id')).to.match(/^[0-9a-f]{24}$/);
    expect(await usageOf(user)).to.deep.equal({ used: 100, quota: null, trash: 0, files: 1 });
    const file = (await api('GET', '/files', { token: user.token })).body as PublicFileBody[];
    expect(file.map((each) => each.name)).to.deep.equal(['r.bin']);
  });

  it('counts a file once when its finish died after the document was written and a HEAD finishes it again', async () => {
    const user = await userWithQuota(null);
    const data = randomBytes(100);
    const { url } = await createUpload(harness().baseUrl, user.token, 100, metadata, data);
    const id = url.split('/').pop() ?? '';
    await dbClient.uploads.updateOne({ _id: id }, { $unset: { done: '', counted: '' } });
    const head = await tusRequest('HEAD', url, { token: user.token });
    expect(head.status).to.equal(200);
    expect(await usageOf(user)).to.deep.equal({ used: 100, quota: null, trash: 0, files: 1 });
  });
});

describe('commits under a busy quota lock', () => {
  it('answers 100 parallel uploads that waited 9 s for their owner’s quota lock (as behind a tree walk) 201 each, counted exactly', async function () {
    this.timeout(60_000);
    const user = await createUser();
    let release = (): void => undefined;
    // Held as a walk of a big folder holds it on a database that scans; released once every upload waits.
    const walk = withUsageLock(new ObjectId(user.id), () => new Promise<void>((resolve) => (release = resolve)));
    const answers = Promise.all(Array.from({ length: 100 }, (_, index) => api('POST', '/files', { token: user.token, json: { name: `f${index}`, type: 'file', data: base64(randomBytes(100)) } })));
    await new Promise((resolve) => setTimeout(resolve, 9000));
    release();
    await walk;
    for (const answer of await answers) expect(answer.status, answer.text).to.equal(201);
    expect(await usageOf(user)).to.deep.equal({ used: 100 * 100, quota: null, trash: 0, files: 100 });
  });
});
