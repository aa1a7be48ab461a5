import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import sharp from 'sharp';
import { AppProcess, startWorkerProcess } from '../../scripts/lib/processes';
import { sleep } from '../../scripts/lib/wait';
import { config } from '../../utils/config';
import { dbClient } from '../../utils/db';
import { redisClient } from '../../utils/redis';
import { api, base64, createUser, download, harness, makeImage, type PublicFileBody, sha256, StreamingRequest, type TestUser, upload, waitFor, withConfig } from '../support';
import {
  added,
  type CreatedUpload,
  createdUploads,
  closeStagingClients,
  createUpload,
  encodeMetadata,
  expectTusError,
  expiresAt,
  FILE_ID,
  headUpload,
  MemoryUrlStorage,
  MIB,
  offsetOf,
  patchUpload,
  stagedBytes,
  prepareTus,
  TUS_VERSION,
  tusRequest,
  tusUpload,
  UPLOAD_ID,
} from '../support/tus';

/**
 * Resumable uploads (tus 1.0 at /uploads), on the driver of the run (TEST_STORAGE): the protocol
 * through raw requests, whole uploads through tus-js-client as applications use it.
 */

const DAY_SECONDS = 86_400;
const OFFSET_STREAM = 'application/offset+octet-stream';
const NOT_FOUND = 'Not found';

const base = (): string => harness().baseUrl;
const endpoint = (): string => `${base()}/uploads`;
const staging = (): Promise<string[]> => stagedBytes(config());
const digest = (algorithm: string, data: Buffer): string => createHash(algorithm).update(data).digest('base64');

async function newUpload(user: TestUser, length: number, metadata?: Record<string, string>, body?: Buffer): Promise<CreatedUpload> {
  return createUpload(base(), user.token, length, metadata, body);
}

/** tus-js-client's options for the app under test, as a user's client would set them. */
function clientOptions(user: TestUser, metadata: Record<string, string>, chunkSize = MIB) {
  return { endpoint: endpoint(), headers: { 'X-Token': user.token }, chunkSize, metadata };
}

/** The file the upload became: its fields with ?fields=all, size and SHA-256, and its bytes served whole. */
async function expectFile(user: TestUser, fileId: string, content: Buffer, expected: Partial<PublicFileBody> = {}): Promise<PublicFileBody> {
  expect(fileId).to.match(FILE_ID);
  const shown = await api('GET', `/files/${fileId}?fields=all`, { token: user.token });
  expect(shown.status, shown.text).to.equal(200);
  const file = shown.body as PublicFileBody & { size: number; sha256: string };
  expect(file).to.include({ id: fileId, userId: user.id, size: content.length, sha256: sha256(content), ...expected });
  const served = await download(fileId, { token: user.token });
  expect(served.status).to.equal(200);
  expect(served.bytes.length).to.equal(content.length);
  expect(served.bytes.equals(content), 'the bytes served are the bytes uploaded').to.equal(true);
  return file;
}

async function listedIds(user: TestUser, parentId: string | 0 = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 0; ; page += 1) {
    const listed = await api('GET', `/files?parentId=${parentId}&page=${page}`, { token: user.token });
    expect(listed.status).to.equal(200);
    const files = listed.body as PublicFileBody[];
    ids.push(...files.map((file) => file.id));
    if (files.length < 20) return ids;
  }
}

async function fileCount(): Promise<number> {
  const stats = await api('GET', '/stats');
  return (stats.body as { files: number }).files;
}

describe('resumable uploads (tus 1.0) at /uploads', function () {
  this.timeout(60_000);
  this.slow(3000);

  afterEach(async () => {
    // Unfinished uploads would stay staged for a day: delete what each test left. A failure here
    // is reported, not thrown, so the tests after it still run; after() checks nothing is left.
    for (const { url, token } of createdUploads.splice(0)) {
      const head = await headUpload(url, token).catch((error: Error) => ({ status: 0, text: error.message, headers: new Headers() }));
      if (head.status !== 200 || head.headers.get('file-id') !== null) continue;
      const deleted = await tusRequest('DELETE', url, { token }).catch((error: Error) => ({ status: 0, text: error.message }));
      if (deleted.status !== 204) console.error(`      cleaning up: DELETE ${url} answered ${deleted.status} ${deleted.text}`);
    }
  });

  after(async () => {
    try {
      expect(await staging(), 'staged bytes left behind by the tests').to.deep.equal([]);
    } finally {
      closeStagingClients();
    }
  });

  describe('the protocol', () => {
    it('answers OPTIONS /uploads without a token: 204 with the version, extensions, maximum size and checksum algorithms', async () => {
      const reply = await tusRequest('OPTIONS', endpoint(), { tusResumable: false });
      expect(reply.status).to.equal(204);
      expect(reply.headers.get('tus-version')).to.equal(TUS_VERSION);
      const list = (name: string): string[] => (reply.headers.get(name) ?? '').split(',').map((item) => item.trim()).sort();
      expect(list('tus-extension')).to.deep.equal(['checksum', 'creation', 'creation-with-upload', 'expiration', 'termination']);
      expect(list('tus-checksum-algorithm')).to.deep.equal(['md5', 'sha1', 'sha256']);
      expect(reply.headers.get('tus-max-size')).to.equal(String(config().uploadMaxBytes));
      await withConfig({ uploadMaxBytes: MIB }, async () => {
        expect((await tusRequest('OPTIONS', endpoint())).headers.get('tus-max-size'), 'Tus-Max-Size follows UPLOAD_MAX_BYTES').to.equal(String(MIB));
      });
    });

    it('answers 412 with Tus-Version to POST, HEAD, PATCH and DELETE without Tus-Resumable 1.0.0, and changes nothing', async () => {
      const user = await createUser();
      const created = await newUpload(user, 10);
      const requests: [string, string, Record<string, string>, Buffer?][] = [
        ['POST', endpoint(), { 'Upload-Length': '10', 'Upload-Metadata': encodeMetadata({ name: 'a', type: 'file' }) }],
        ['HEAD', created.url, {}],
        ['PATCH', created.url, { 'Content-Type': OFFSET_STREAM, 'Upload-Offset': '0' }, Buffer.from('0123456789')],
        ['DELETE', created.url, {}],
      ];
      for (const version of [undefined, '0.2.2', '2.0.0']) {
        for (const [method, url, headers, body] of requests) {
          const reply = await tusRequest(method, url, { token: user.token, tusResumable: false, headers: version === undefined ? headers : { ...headers, 'Tus-Resumable': version }, body });
          expectTusError(reply, 412, 'Unsupported Tus-Resumable version');
          expect(reply.headers.get('tus-version'), `${method} with Tus-Resumable ${version ?? 'absent'}`).to.equal(TUS_VERSION);
        }
      }
      expect(await offsetOf(created.url, user.token)).to.equal(0);
    });

    it('answers 401 "Unauthorized" without a token or with a bad one, on every method', async () => {
      const user = await createUser();
      const created = await newUpload(user, 10);
      for (const token of [undefined, 'not-a-token', randomBytes(16).toString('hex')]) {
        const what = `token ${token ?? 'absent'}`;
        expectTusError(await tusRequest('POST', endpoint(), { token, headers: { 'Upload-Length': '10', 'Upload-Metadata': encodeMetadata({ name: 'a', type: 'file' }) } }), 401, 'Unauthorized');
        expectTusError(await tusRequest('HEAD', created.url, { token }), 401, 'Unauthorized');
        expectTusError(await patchUpload(created.url, token as string, 0, Buffer.from('0123456789')), 401, 'Unauthorized');
        expectTusError(await tusRequest('DELETE', created.url, { token }), 401, 'Unauthorized');
        expect(await offsetOf(created.url, user.token), what).to.equal(0);
      }
    });

    it("answers 404 to another user's upload, and to an unknown one, on HEAD, PATCH and DELETE; the owner's upload is untouched", async () => {
      const [owner, other] = [await createUser(), await createUser()];
      const content = randomBytes(2000);
      const created = await newUpload(owner, content.length);
      expect((await patchUpload(created.url, owner.token, 0, content.subarray(0, 1000))).status).to.equal(204);
      const unknown = `${endpoint()}/${randomBytes(16).toString('hex')}`;
      for (const url of [created.url, unknown, `${endpoint()}/not-an-id`]) {
        expectTusError(await headUpload(url, other.token), 404, NOT_FOUND);
        expectTusError(await patchUpload(url, other.token, 1000, content.subarray(1000)), 404, NOT_FOUND);
        expectTusError(await tusRequest('DELETE', url, { token: other.token }), 404, NOT_FOUND);
      }
      expect(await offsetOf(created.url, owner.token)).to.equal(1000);
      const finished = await patchUpload(created.url, owner.token, 1000, content.subarray(1000));
      expect(finished.status, finished.text).to.equal(204);
      await expectFile(owner, finished.headers.get('file-id') ?? '', content);
      expect(await listedIds(other)).to.deep.equal([]);
    });

    it('creates with 201, an absolute Location, Upload-Offset 0 and Upload-Expires a day away; HEAD reports offset, length, no-store and expiry', async () => {
      const user = await createUser();
      const before = Date.now();
      const created = await newUpload(user, 5000);
      expect(created.reply.status).to.equal(201);
      expect(created.id).to.match(UPLOAD_ID);
      expect(created.url).to.equal(`${base()}/uploads/${created.id}`);
      expect(created.reply.headers.get('upload-offset')).to.equal('0');
      const expires = expiresAt(created.reply);
      expect(expires).to.be.within(before + DAY_SECONDS * 1000 - 5000, Date.now() + DAY_SECONDS * 1000 + 1000);

      const patched = await patchUpload(created.url, user.token, 0, randomBytes(1234));
      expect(patched.status, patched.text).to.equal(204);
      expect(patched.headers.get('upload-offset')).to.equal('1234');
      expect(expiresAt(patched)).to.be.at.least(expires);

      const head = await headUpload(created.url, user.token);
      expect(head.status).to.equal(200);
      expect(head.bytes.length, 'HEAD has no body').to.equal(0);
      expect(head.headers.get('upload-offset')).to.equal('1234');
      expect(head.headers.get('upload-length')).to.equal('5000');
      expect(head.headers.get('cache-control')).to.equal('no-store');
      expect(expiresAt(head)).to.be.at.least(expires);
      expect(head.headers.get('file-id'), 'no file until the upload is complete').to.equal(null);
    });

    it('rejects a bad Upload-Length: missing 400, malformed 400, over UPLOAD_MAX_BYTES 413; the maximum itself is accepted', async () => {
      const user = await createUser();
      const before = await staging();
      const post = (headers: Record<string, string>) =>
        tusRequest('POST', endpoint(), { token: user.token, headers: { 'Upload-Metadata': encodeMetadata({ name: 'big.bin', type: 'file' }), ...headers } });
      expectTusError(await post({}), 400, 'Missing Upload-Length');
      for (const bad of ['abc', '-1', '1.5', '1e3', '12x']) expectTusError(await post({ 'Upload-Length': bad }), 400, 'Invalid Upload-Length');
      const max = config().uploadMaxBytes;
      expectTusError(await post({ 'Upload-Length': String(max + 1) }), 413, 'Payload too large');
      const atMax = await post({ 'Upload-Length': String(max) });
      expect(atMax.status, atMax.text).to.equal(201);
      createdUploads.push({ url: atMax.headers.get('location') ?? '', token: user.token });
      await withConfig({ uploadMaxBytes: MIB }, async () => {
        expectTusError(await post({ 'Upload-Length': String(MIB + 1) }), 413, 'Payload too large');
        const ok = await post({ 'Upload-Length': String(MIB) });
        expect(ok.status).to.equal(201);
        createdUploads.push({ url: ok.headers.get('location') ?? '', token: user.token });
      });
      expect(await staging()).to.deep.equal(before);
    });

    it('rejects malformed Upload-Metadata with 400 "Invalid Upload-Metadata"', async () => {
      const user = await createUser();
      const type = `type ${base64('file')}`;
      for (const metadata of [`name !!!not-base64!!!,${type}`, `name ${base64('a')} extra,${type}`, `name ${base64('a')},name ${base64('b')},${type}`, `${type},,name ${base64('a')}`]) {
        const reply = await tusRequest('POST', endpoint(), { token: user.token, headers: { 'Upload-Length': '10', 'Upload-Metadata': metadata } });
        expectTusError(reply, 400, 'Invalid Upload-Metadata');
      }
      expect(await listedIds(user)).to.deep.equal([]);
    });
  });

  describe('metadata, checked before any byte as POST /files checks its fields', () => {
    it('answers each error in the contract order: Missing name, Invalid name, Missing type, Parent not found, Parent is not a folder, Invalid isPublic', async () => {
      const user = await createUser();
      const notAFolder = await upload(user.token, { name: 'plain.txt', type: 'file', data: base64('x') });
      const unknownParent = new ObjectId().toHexString();
      const cases: [Record<string, string>, string][] = [
        [{}, 'Missing name'],
        [{ type: 'file' }, 'Missing name'],
        [{ type: 'file', parentId: unknownParent, isPublic: 'maybe' }, 'Missing name'],
        [{ name: '', type: 'file' }, 'Missing name'],
        [{ name: 'a\u0001b', type: 'file' }, 'Invalid name'],
        [{ name: 'x'.repeat(256), type: 'file' }, 'Invalid name'],
        [{ name: 'a\u0000b', parentId: unknownParent }, 'Invalid name'],
        [{ name: 'a.bin' }, 'Missing type'],
        [{ name: 'a.bin', parentId: unknownParent, isPublic: 'maybe' }, 'Missing type'],
        [{ name: 'a.bin', type: 'file', parentId: unknownParent }, 'Parent not found'],
        [{ name: 'a.bin', type: 'file', parentId: 'nope', isPublic: 'maybe' }, 'Parent not found'],
        [{ name: 'a.bin', type: 'file', parentId: notAFolder.id }, 'Parent is not a folder'],
        [{ name: 'a.bin', type: 'file', parentId: notAFolder.id, isPublic: 'maybe' }, 'Parent is not a folder'],
        [{ name: 'a.bin', type: 'file', isPublic: 'maybe' }, 'Invalid isPublic'],
        [{ filename: 'a.bin', type: 'image/png', isPublic: 'yes' }, 'Invalid isPublic'],
      ];
      const before = await staging();
      for (const [metadata, message] of cases) {
        const reply = await tusRequest('POST', endpoint(), {
          token: user.token,
          headers: { 'Upload-Length': '3', 'Upload-Metadata': encodeMetadata(metadata), 'Content-Type': OFFSET_STREAM },
          body: Buffer.from('abc'),
        });
        expectTusError(reply, 400, message);
        expect(reply.headers.get('location'), JSON.stringify(metadata)).to.equal(null);
      }
      expect(await staging()).to.deep.equal(before);
      expect(await listedIds(user)).to.deep.equal([notAFolder.id]);
    });

    it('takes name, type, parentId and isPublic; filename when name is absent; a MIME type as the type; root for parentId 0', async () => {
      const user = await createUser();
      const folder = await upload(user.token, { name: 'inbox', type: 'folder' });
      const cases: [Record<string, string>, Partial<PublicFileBody>][] = [
        [{ name: 'a.txt', type: 'file', parentId: folder.id, isPublic: 'true' }, { name: 'a.txt', type: 'file', parentId: folder.id, isPublic: true }],
        [{ name: 'b.txt', type: 'file', parentId: '0', isPublic: 'false' }, { name: 'b.txt', type: 'file', parentId: 0, isPublic: false }],
        [{ filename: 'c.pdf', type: 'application/pdf' }, { name: 'c.pdf', type: 'file', parentId: 0, isPublic: false }],
        [{ name: 'd.txt', filename: 'ignored.txt', type: 'text/plain', parentId: folder.id }, { name: 'd.txt', type: 'file', parentId: folder.id }],
        [{ name: 'résumé 履歴書.txt', type: 'file' }, { name: 'résumé 履歴書.txt', type: 'file' }],
      ];
      for (const [metadata, expected] of cases) {
        const content = randomBytes(100);
        const created = await newUpload(user, content.length, metadata);
        const done = await patchUpload(created.url, user.token, 0, content);
        expect(done.status, done.text).to.equal(204);
        await expectFile(user, done.headers.get('file-id') ?? '', content, expected);
      }
    });
  });

  describe('whole uploads with tus-js-client', () => {
    it('uploads 6 MiB in 1 MiB chunks into a folder (past S3\'s 5 MiB part); the file has its size and SHA-256 and is served byte for byte', async () => {
      const user = await createUser();
      const folder = await upload(user.token, { name: 'resumable', type: 'folder' });
      const content = randomBytes(6 * MIB + 123);
      const before = await staging();
      const outcome = await tusUpload(content, clientOptions(user, { name: 'six.bin', type: 'file', parentId: folder.id, isPublic: 'true' }));
      expect(outcome.chunks).to.deep.equal([MIB, MIB, MIB, MIB, MIB, MIB, 123]);
      expect(outcome.statuses).to.deep.equal([201, 204, 204, 204, 204, 204, 204, 204]);
      await expectFile(user, outcome.fileId ?? '', content, { name: 'six.bin', type: 'file', parentId: folder.id, isPublic: true });
      expect(await listedIds(user, folder.id)).to.deep.equal([outcome.fileId]);

      const head = await headUpload(outcome.url, user.token);
      expect(head.status).to.equal(200);
      expect(head.headers.get('file-id'), 'HEAD names the file once complete').to.equal(outcome.fileId);
      expect(head.headers.get('upload-offset')).to.equal(String(content.length));
      expect(head.headers.get('upload-length')).to.equal(String(content.length));
      expect(await staging(), 'nothing staged once the upload is a file').to.deep.equal(before);
    });

    it('neither lists, counts nor serves an unfinished upload; once complete it is listed once and counted', async () => {
      const user = await createUser();
      const folder = await upload(user.token, { name: 'pending', type: 'folder' });
      const filesBefore = await fileCount();
      const content = randomBytes(2 * MIB + 7);
      const stopped = await tusUpload(content, clientOptions(user, { name: 'pending.bin', type: 'file', parentId: folder.id }), MIB);
      expect(stopped.fileId).to.equal(undefined);
      expect(await offsetOf(stopped.url, user.token)).to.equal(MIB);

      expect(await listedIds(user, folder.id)).to.deep.equal([]);
      expect(await listedIds(user)).to.deep.equal([folder.id]);
      expect(await fileCount()).to.equal(filesBefore);
      // Whatever document the server may keep for it, none is shown or served.
      for (const doc of await dbClient.files.find({ userId: new ObjectId(user.id), type: { $ne: 'folder' } }).toArray()) {
        expect((await api('GET', `/files/${doc._id.toHexString()}`, { token: user.token })).status).to.equal(404);
        expect((await download(doc._id.toHexString(), { token: user.token })).status).to.equal(404);
      }

      const finished = await tusUpload(content, { ...clientOptions(user, {}), uploadUrl: stopped.url });
      expect(finished.chunks, 'only the missing bytes are sent').to.deep.equal([MIB, 7]);
      await expectFile(user, finished.fileId ?? '', content, { name: 'pending.bin', parentId: folder.id });
      expect(await listedIds(user, folder.id)).to.deep.equal([finished.fileId]);
      expect(await fileCount()).to.equal(filesBefore + 1);
    });

    it('resumes an upload aborted mid-way (abort(), then a PATCH cut off mid-body) from where the server is, with findPreviousUploads', async () => {
      const user = await createUser();
      const content = randomBytes(4 * MIB + 1);
      const urlStorage = new MemoryUrlStorage();
      const options = { ...clientOptions(user, { name: 'resumed.bin', type: 'file' }), urlStorage, storeFingerprintForResuming: true, removeFingerprintOnSuccess: true };
      const stopped = await tusUpload(content, options, 2 * MIB);
      expect(stopped.chunks).to.deep.equal([MIB, MIB]);
      expect(await offsetOf(stopped.url, user.token)).to.equal(2 * MIB);

      // A connection lost in the middle of a PATCH body.
      const { origin, pathname } = new URL(stopped.url);
      const cut = new StreamingRequest('PATCH', pathname, {
        baseUrl: origin,
        token: user.token,
        headers: { 'Tus-Resumable': TUS_VERSION, 'Content-Type': OFFSET_STREAM, 'Upload-Offset': String(2 * MIB), 'Content-Length': String(MIB) },
      });
      await cut.write(content.subarray(2 * MIB, 2 * MIB + MIB / 2));
      await sleep(200);
      cut.abort();
      // What arrived before the cut is kept: the client resumes after it, not before.
      await waitFor('the cut PATCH to be recorded', async () => ((await offsetOf(stopped.url, user.token)) === 2 * MIB + MIB / 2 ? true : undefined), 5000);

      // A new client for the same bytes finds the upload in its URL storage and resumes it from the offset the server reports.
      const accepted: number[] = [];
      const heads: number[] = [];
      const finish = prepareTus(content, {
        ...options,
        // The server may still be noticing the cut connection: a 423 is retried, as clients do.
        retryDelays: [100, 500, 1000, 2000],
        onChunkComplete: (_size, acceptedBytes) => accepted.push(acceptedBytes),
        onAfterResponse: (request, response) => {
          if (request.getMethod() === 'HEAD' && response.getStatus() === 200) heads.push(Number(response.getHeader('Upload-Offset')));
        },
      });
      const previous = await finish.upload.findPreviousUploads();
      expect(previous.map((entry) => entry.uploadUrl)).to.deep.equal([stopped.url]);
      finish.upload.resumeFromPreviousUpload(previous[0] as (typeof previous)[number]);
      finish.upload.start();
      const outcome = await finish.outcome;
      const offset = heads[0] ?? -1;
      expect(offset, 'the offset after a cut PATCH: the bytes of it that arrived').to.equal(2 * MIB + MIB / 2);
      expect(accepted[0], 'the first chunk after resuming starts at that offset').to.equal(Math.min(offset + MIB, content.length));
      await expectFile(user, outcome.fileId ?? '', content, { name: 'resumed.bin' });
      expect(await urlStorage.findAllUploads(), 'the client forgets a finished upload').to.have.length(0);
    });

    it('creation-with-upload: a POST with a body stores it first, with tus-js-client and raw', async () => {
      const user = await createUser();
      const content = randomBytes(2 * MIB + 500);
      const outcome = await tusUpload(content, { ...clientOptions(user, { name: 'early.bin', type: 'file' }), uploadDataDuringCreation: true });
      expect(outcome.statuses).to.deep.equal([201, 204, 204]);
      expect(outcome.chunks).to.deep.equal([MIB, MIB, 500]);
      await expectFile(user, outcome.fileId ?? '', content, { name: 'early.bin' });

      const partial = await newUpload(user, 3000, { name: 'half.bin', type: 'file' }, content.subarray(0, 1000));
      expect(partial.reply.headers.get('upload-offset')).to.equal('1000');
      expect(await offsetOf(partial.url, user.token)).to.equal(1000);
      const rest = await patchUpload(partial.url, user.token, 1000, content.subarray(1000, 3000));
      expect(rest.status, rest.text).to.equal(204);
      await expectFile(user, rest.headers.get('file-id') ?? '', content.subarray(0, 3000));

      // A POST that carries every byte completes the upload: tus-js-client's onSuccess then has the POST's answer, which names the file.
      const small = content.subarray(0, 4096);
      const inOne = await tusUpload(small, { ...clientOptions(user, { name: 'whole.bin', type: 'file' }), uploadDataDuringCreation: true });
      expect(inOne.statuses).to.deep.equal([201]);
      const head = await headUpload(inOne.url, user.token);
      expect(head.headers.get('upload-offset')).to.equal('4096');
      expect(head.headers.get('file-id')).to.equal(inOne.fileId);
      await expectFile(user, inOne.fileId ?? '', small, { name: 'whole.bin' });
    });

    it('uploads for several users at once, each file whole and each user seeing only their own', async () => {
      const users = await Promise.all([createUser(), createUser(), createUser()]);
      const contents = users.map((_, index) => [randomBytes(MIB + 1000 * index + 1), randomBytes(512 * 1024 + index)]);
      const outcomes = await Promise.all(
        users.flatMap((user, index) =>
          (contents[index] as Buffer[]).map((content, which) => tusUpload(content, clientOptions(user, { name: `u${index}-${which}.bin`, type: 'file' }, 256 * 1024))),
        ),
      );
      for (const [index, user] of users.entries()) {
        const mine = outcomes.slice(index * 2, index * 2 + 2);
        for (const [which, outcome] of mine.entries()) await expectFile(user, outcome.fileId ?? '', contents[index]?.[which] as Buffer, { name: `u${index}-${which}.bin` });
        expect((await listedIds(user)).sort()).to.deep.equal(mine.map((outcome) => outcome.fileId).sort());
        const stranger = users[(index + 1) % users.length] as TestUser;
        expectTusError(await headUpload(mine[0]?.url ?? '', stranger.token), 404, NOT_FOUND);
      }
    });
  });

  describe('PATCH', () => {
    it('answers 409 to a wrong Upload-Offset, 400 to a missing or malformed one, 415 to another content type, and keeps the offset', async () => {
      const user = await createUser();
      const content = randomBytes(3000);
      const created = await newUpload(user, content.length);
      expect((await patchUpload(created.url, user.token, 0, content.subarray(0, 1000))).status).to.equal(204);
      for (const offset of [0, 999, 1001, 3000]) {
        expectTusError(await patchUpload(created.url, user.token, offset, content.subarray(offset, offset + 10)), 409, 'Upload-Offset does not match');
      }
      for (const offset of ['abc', '-1', '1.5', '']) {
        expectTusError(await patchUpload(created.url, user.token, 1000, content.subarray(1000, 1010), { 'Upload-Offset': offset }), 400, 'Invalid Upload-Offset');
      }
      const noOffset = await tusRequest('PATCH', created.url, { token: user.token, headers: { 'Content-Type': OFFSET_STREAM }, body: content.subarray(1000, 1010) });
      expectTusError(noOffset, 400, 'Invalid Upload-Offset');
      for (const type of ['application/octet-stream', 'text/plain', 'application/json']) {
        expectTusError(await patchUpload(created.url, user.token, 1000, content.subarray(1000, 1010), { 'Content-Type': type }), 415, 'Unsupported media type');
      }
      const untyped = await tusRequest('PATCH', created.url, { token: user.token, headers: { 'Upload-Offset': '1000' }, body: content.subarray(1000, 1010) });
      expectTusError(untyped, 415, 'Unsupported media type');
      expect(await offsetOf(created.url, user.token)).to.equal(1000);

      const done = await patchUpload(created.url, user.token, 1000, content.subarray(1000));
      expect(done.status).to.equal(204);
      await expectFile(user, done.headers.get('file-id') ?? '', content);
    });

    it('answers 413 to more bytes than remain and stores none of them', async () => {
      const user = await createUser();
      const content = randomBytes(1000);
      const created = await newUpload(user, content.length);
      expect((await patchUpload(created.url, user.token, 0, content.subarray(0, 600))).status).to.equal(204);
      expectTusError(await patchUpload(created.url, user.token, 600, randomBytes(401)), 413, 'Payload too large');
      expectTusError(await patchUpload(created.url, user.token, 600, randomBytes(64 * 1024)), 413, 'Payload too large');
      expect(await offsetOf(created.url, user.token)).to.equal(600);
      const done = await patchUpload(created.url, user.token, 600, content.subarray(600));
      expect(done.status, done.text).to.equal(204);
      expect(done.headers.get('upload-offset')).to.equal('1000');
      await expectFile(user, done.headers.get('file-id') ?? '', content);
      // A complete upload has no byte left to take.
      expectTusError(await patchUpload(created.url, user.token, 1000, Buffer.from('x')), 413, 'Payload too large');
    });

    it('checks Upload-Checksum: sha1, sha256 and md5 matching are stored; a mismatch is 460 and stores nothing; unknown 400; malformed 400', async () => {
      const user = await createUser();
      const content = randomBytes(3 * 1024);
      const created = await newUpload(user, content.length);
      const part = (index: number): Buffer => content.subarray(index * 1024, (index + 1) * 1024);
      const withChecksum = (offset: number, body: Buffer, checksum: string) => patchUpload(created.url, user.token, offset, body, { 'Upload-Checksum': checksum });

      expectTusError(await withChecksum(0, part(0), `sha1 ${digest('sha1', part(1))}`), 460, 'Checksum mismatch');
      expectTusError(await withChecksum(0, part(0), `sha256 ${digest('sha256', Buffer.concat([part(0), Buffer.from('x')]))}`), 460, 'Checksum mismatch');
      expect(await offsetOf(created.url, user.token), 'a mismatched body stores nothing').to.equal(0);
      expectTusError(await withChecksum(0, part(0), `crc32 ${base64('abcd')}`), 400, 'Unsupported checksum algorithm');
      expectTusError(await withChecksum(0, part(0), `sha512 ${digest('sha512', part(0))}`), 400, 'Unsupported checksum algorithm');
      for (const malformed of ['sha1', `sha1 ${digest('sha1', part(0))} extra`, 'sha1 !!!notbase64']) {
        expectTusError(await withChecksum(0, part(0), malformed), 400, 'Invalid Upload-Checksum');
      }
      expect(await offsetOf(created.url, user.token)).to.equal(0);

      const first = await withChecksum(0, part(0), `sha1 ${digest('sha1', part(0))}`);
      expect(first.status, first.text).to.equal(204);
      expect(first.headers.get('upload-offset')).to.equal('1024');
      expectTusError(await withChecksum(1024, part(1), `md5 ${digest('md5', part(0))}`), 460, 'Checksum mismatch');
      expect(await offsetOf(created.url, user.token)).to.equal(1024);
      expect((await withChecksum(1024, part(1), `md5 ${digest('md5', part(1))}`)).status).to.equal(204);
      const last = await withChecksum(2048, part(2), `sha256 ${digest('sha256', part(2))}`);
      expect(last.status, last.text).to.equal(204);
      await expectFile(user, last.headers.get('file-id') ?? '', content);
    });

    it('serializes two PATCHes at one offset: the bytes of one are stored, exactly, the other answers 409', async () => {
      const user = await createUser();
      const rest = randomBytes(MIB);
      const bodies = [randomBytes(MIB), randomBytes(MIB)];
      const created = await newUpload(user, 2 * MIB);
      const replies = await Promise.all(bodies.map((body) => patchUpload(created.url, user.token, 0, body)));
      const statuses = replies.map((reply) => reply.status);
      // The one that took the upload stored its body (204), or, asked by the other to let go before its
      // body was in, what had arrived of it (423); the other then found the offset moved (409).
      const holder = statuses.findIndex((status) => status === 204 || status === 423);
      expect(holder, `statuses ${statuses.join(', ')}`).to.be.at.least(0);
      expectTusError(replies[1 - holder] as (typeof replies)[number], 409, 'Upload-Offset does not match');
      const offset = await offsetOf(created.url, user.token);
      if (statuses[holder] === 204) expect(offset).to.equal(MIB);
      else expect(offset).to.be.within(0, MIB);
      // Whatever it kept is a prefix of the holder's body, never a mix of the two.
      const kept = bodies[holder] as Buffer;
      const done = await patchUpload(created.url, user.token, offset, Buffer.concat([kept.subarray(offset), rest]));
      expect(done.status, done.text).to.equal(204);
      await expectFile(user, done.headers.get('file-id') ?? '', Buffer.concat([kept, rest]));
    });

    it('makes a PATCH that finds another still sending ask it to stop: the first keeps what arrived and answers 423, the second learns the new offset', async () => {
      const user = await createUser();
      const [first, second] = [randomBytes(MIB), randomBytes(MIB)];
      const created = await newUpload(user, 2 * MIB);
      const { origin, pathname } = new URL(created.url);
      // A client whose network dropped mid-body: its connection stays open on the server's side.
      const stalled = new StreamingRequest('PATCH', pathname, {
        baseUrl: origin,
        token: user.token,
        headers: { 'Tus-Resumable': TUS_VERSION, 'Content-Type': OFFSET_STREAM, 'Upload-Offset': '0', 'Content-Length': String(MIB) },
      });
      await stalled.write(first.subarray(0, MIB / 2));
      await sleep(300);
      const retried = await patchUpload(created.url, user.token, 0, second);
      expectTusError(retried, 409, 'Upload-Offset does not match');
      expect(retried.elapsedMs, 'how long the retry waited for the stalled request to let go (ms)').to.be.below(1500);
      const stopped = await stalled.end(first.subarray(MIB / 2));
      expect(stopped.status, stopped.text).to.equal(423);
      expect(stopped.headers.get('tus-resumable')).to.equal(TUS_VERSION);
      expect(stopped.text).to.equal(JSON.stringify({ error: 'Upload is busy' }));
      expect(await offsetOf(created.url, user.token)).to.equal(MIB / 2);
      const done = await patchUpload(created.url, user.token, MIB / 2, Buffer.concat([first.subarray(MIB / 2), second]));
      expect(done.status, done.text).to.equal(204);
      await expectFile(user, done.headers.get('file-id') ?? '', Buffer.concat([first, second]));
    });

    it('answers 423 "Upload is busy" after about 2 s when the request holding the upload does not let go (it is finishing)', async () => {
      const user = await createUser();
      const created = await newUpload(user, MIB);
      // Held as a request holds it, by another process of the deployment that is not polling for release.
      await redisClient.set(`upload_lock_${created.id}`, 'held-elsewhere', 10);
      try {
        const busy = await patchUpload(created.url, user.token, 0, randomBytes(MIB));
        expectTusError(busy, 423, 'Upload is busy');
        expect(busy.elapsedMs, 'how long it waited (ms)').to.be.within(1500, 6000);
      } finally {
        await redisClient.del(`upload_lock_${created.id}`);
      }
      expect(await offsetOf(created.url, user.token)).to.equal(0);
    });
  });

  describe('DELETE', () => {
    it('answers 204, removes the staged bytes, then 404 to HEAD, PATCH and DELETE', async () => {
      const user = await createUser();
      const before = await staging();
      const content = randomBytes(MIB + MIB / 2);
      const created = await newUpload(user, 3 * MIB);
      expect((await patchUpload(created.url, user.token, 0, content)).status).to.equal(204);
      expect(added(before, await staging()), 'bytes staged for the upload').not.to.deep.equal([]);
      const deleted = await tusRequest('DELETE', created.url, { token: user.token });
      expect(deleted.status).to.equal(204);
      expect(deleted.bytes.length).to.equal(0);
      expectTusError(await headUpload(created.url, user.token), 404, NOT_FOUND);
      expectTusError(await patchUpload(created.url, user.token, content.length, randomBytes(10)), 404, NOT_FOUND);
      expectTusError(await tusRequest('DELETE', created.url, { token: user.token }), 404, NOT_FOUND);
      expect(await staging(), 'staged bytes after DELETE').to.deep.equal(before);
      expect(await listedIds(user)).to.deep.equal([]);
    });
  });

  describe('with the worker running', () => {
    let worker: AppProcess | undefined;

    before(async function () {
      this.timeout(90_000);
      // The real worker.ts, with uploads expiring after 2 s, so its sweep runs every 2 s.
      worker = await startWorkerProcess({ env: { ...harness().env, UPLOAD_EXPIRY_SECONDS: '2' } });
    });

    afterEach(function () {
      if (this.currentTest?.state === 'failed') console.error(`--- worker output ---\n${worker?.output.slice(-4000) ?? ''}`);
    });

    after(async () => {
      await worker?.kill();
    });

    it('makes an image of Uppy-style metadata (filename, a MIME type image/png), and the worker makes its thumbnails', async () => {
      const user = await createUser();
      const image = await makeImage(900, 450, 'png');
      // What Uppy's Tus plugin sends: the MIME type as `type`, and keys the service does not use.
      const metadata = { filename: 'wide.png', type: 'image/png', filetype: 'image/png', relativePath: 'null' };
      const outcome = await tusUpload(image, clientOptions(user, metadata, 32 * 1024));
      await expectFile(user, outcome.fileId ?? '', image, { name: 'wide.png', type: 'image' });
      for (const size of [500, 250, 100]) {
        const thumbnail = await waitFor(`the ${size} px thumbnail`, async () => {
          const served = await download(outcome.fileId ?? '', { token: user.token, size });
          return served.status === 200 ? served.bytes : undefined;
        });
        expect(await sharp(thumbnail).metadata()).to.include({ format: 'png', width: size, height: size / 2 });
      }
    });

    it('forgets an upload UPLOAD_EXPIRY_SECONDS after its last PATCH (404), and the worker removes its bytes', async () => {
      const user = await createUser();
      const before = await staging();
      await withConfig({ uploadExpirySeconds: 2 }, async () => {
        // `kept` is patched again later, `lapsed` is not; both hold bytes past S3's 5 MiB part.
        const [kept, lapsed] = [await newUpload(user, 8 * MIB), await newUpload(user, 8 * MIB)];
        const created = Date.now();
        expect(expiresAt(kept.reply)).to.be.within(created - 2000, created + 3000);
        for (const { url } of [kept, lapsed]) expect((await patchUpload(url, user.token, 0, randomBytes(6 * MIB))).status).to.equal(204);
        const lapsedPatched = Date.now();
        const staged = added(before, await staging());
        if (config().storage.driver === 's3') expect(staged.filter((entry) => entry.startsWith('multipart ')), 'multipart uploads').to.have.length(2);
        else expect(staged, 'files under FOLDER_PATH/.uploads').to.have.length(2);

        await sleep(1200);
        const extended = await patchUpload(kept.url, user.token, 6 * MIB, randomBytes(MIB));
        expect(extended.status).to.equal(204);
        const extendedAt = Date.now();
        expect(expiresAt(extended), 'Upload-Expires after the second PATCH').to.be.within(extendedAt - 1000, extendedAt + 2000);

        const goneAt = (url: string, what: string): Promise<number> =>
          waitFor(
            what,
            async () => {
              const head = await headUpload(url, user.token);
              if (head.status === 200) return undefined;
              expectTusError(head, 404, NOT_FOUND);
              return Date.now();
            },
            6000,
            50,
          );
        const lapsedGone = await goneAt(lapsed.url, 'the lapsed upload to expire');
        expect(lapsedGone - lapsedPatched, 'ms from the last PATCH to the 404').to.be.within(1000, 3500);
        expectTusError(await patchUpload(lapsed.url, user.token, 6 * MIB, randomBytes(10)), 404, NOT_FOUND);
        // Unextended, `kept` would lapse with `lapsed`, under a second after its second PATCH.
        const keptGone = await goneAt(kept.url, 'the extended upload to expire');
        expect(keptGone - extendedAt, 'ms from the second PATCH to the 404: a PATCH extends the expiry').to.be.within(1500, 3500);
      });
      const expired = Date.now();
      await waitFor("the worker to remove the expired uploads' bytes", async () => ((await staging()).length === before.length ? true : undefined), 15_000, 100);
      // The sweep runs every min(UPLOAD_EXPIRY_SECONDS, 600) s: 2 s here.
      expect(Date.now() - expired, 'ms until the worker removed the bytes').to.be.below(5000);
      expect(await staging()).to.deep.equal(before);
      expect(await listedIds(user)).to.deep.equal([]);
    });
  });
});
