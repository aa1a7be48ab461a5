import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { dbClient } from '../../utils/db';
import { byteStore } from '../../utils/storage/stores';
import {
  api,
  type ApiResponse,
  base64,
  blobOfFile,
  createUser,
  expectError,
  expectNothingStored,
  harness,
  multipart,
  pendingWrites,
  PUBLIC_FILE_KEYS,
  readBlob,
  type PublicFileBody,
  sha256,
  storedDoc,
  storedKeys,
  StreamingRequest,
  upload,
  uploadMultipart,
  uploadRaw,
  withConfig,
} from '../support';
import { waitUntil } from '../../scripts/lib/wait';

const MIB = 1024 * 1024;

/** Checks the response, the document, the disk and the download all hold exactly `content`. */
async function expectStored(response: ApiResponse, token: string, content: Buffer, expected: Partial<PublicFileBody>): Promise<PublicFileBody> {
  expect(response.status, response.text).to.equal(201);
  const file = response.body as PublicFileBody;
  expect(Object.keys(file).sort()).to.deep.equal([...PUBLIC_FILE_KEYS].sort());
  expect(file).to.include(expected);
  const doc = await storedDoc(file.id);
  expect(doc.size).to.equal(content.length);
  expect(doc.sha256).to.equal(sha256(content));
  expect(doc.createdAt).to.be.instanceOf(Date);
  expect((await readBlob(await blobOfFile(file.id))).equals(content)).to.equal(true);
  const served = await fetch(`${harness().baseUrl}/files/${file.id}/data`, { headers: { 'X-Token': token } });
  expect(served.status).to.equal(200);
  expect(Buffer.from(await served.arrayBuffer()).equals(content)).to.equal(true);
  return file;
}

const withUploadLimit = <T>(uploadMaxBytes: number, run: () => Promise<T>): Promise<T> => withConfig({ uploadMaxBytes }, run);

/** A raw upload of `size` bytes of one repeated random block, streamed. */
async function streamUpload(token: string, name: string, size: number): Promise<ApiResponse> {
  const block = randomBytes(64 * 1024);
  const blocks = function* (): Generator<Buffer> {
    for (let sent = 0; sent < size; sent += block.length) yield block;
  };
  return uploadRaw(token, { name, type: 'file' }, Readable.from(blocks()));
}

/**
 * How far this process's memory rises above where it stood while `upload` runs (the server is
 * in-process). One-time costs (the fs thread pool, allocator arenas, compiled code) are not
 * growth with a file's size: a 16 MiB upload pays them first, and the baseline comes after it.
 */
async function rssGrowthDuring<T>(token: string, upload: () => Promise<T>): Promise<{ result: T; growthBytes: number }> {
  expect((await streamUpload(token, 'warm-up.bin', 16 * MIB)).status).to.equal(201);
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  try {
    const result = await upload();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, growthBytes: peak - baseline };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * Writes 1 MiB chunks until the server has a write under way (a `.partial` file, a multipart
 * upload), then drops the connection; the upload must leave no object, no write under way and
 * no document behind.
 */
async function abortMidUpload(started: StreamingRequest, before: string[], owner: ObjectId, name: string): Promise<void> {
  const chunk = randomBytes(MIB);
  for (let written = 0; (await pendingWrites()).length === 0; written += 1) {
    if (written >= 64) throw new Error('the server never started writing the upload');
    await started.write(chunk);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  started.abort();
  await waitUntil('the partial file to be removed', async () => (await pendingWrites()).length === 0, 10_000, 10);
  expect(await storedKeys()).to.deep.equal(before);
  expect(await dbClient.files.countDocuments({ userId: owner, name })).to.equal(0);
}

describe('POST /files with multipart/form-data', () => {
  it('stores a file part of several MiB byte for byte when the fields come before it', async () => {
    const user = await createUser();
    const folder = await upload(user.token, { name: 'inbox', type: 'folder' });
    const content = randomBytes(3 * MIB + 17);
    const response = await uploadMultipart(user.token, [
      { name: 'name', value: 'report.bin' },
      { name: 'type', value: 'file' },
      { name: 'parentId', value: folder.id },
      { name: 'isPublic', value: 'true' },
      { name: 'upload', filename: 'ignored.bin', content },
    ]);
    await expectStored(response, user.token, content, { name: 'report.bin', type: 'file', isPublic: true, parentId: folder.id, userId: user.id });
  });

  it('stores a file part byte for byte when the fields come after it', async () => {
    const user = await createUser();
    const content = randomBytes(2 * MIB + 5);
    const response = await uploadMultipart(user.token, [
      { name: 'file', filename: 'first.bin', content },
      { name: 'name', value: 'after.bin' },
      { name: 'type', value: 'file' },
    ]);
    await expectStored(response, user.token, content, { name: 'after.bin', type: 'file', isPublic: false, parentId: 0 });
  });

  it("names the file after the part's filename, Unicode included, when no name field is sent", async () => {
    const user = await createUser();
    const content = randomBytes(4096);
    const response = await uploadMultipart(user.token, [
      { name: 'type', value: 'file' },
      { name: 'file', filename: 'résumé 履歴書.pdf', content },
    ]);
    await expectStored(response, user.token, content, { name: 'résumé 履歴書.pdf' });
  });

  it('rejects fields that fail before the file part with the upload error, and stores nothing', async () => {
    const user = await createUser();
    const before = await storedKeys();
    const response = await uploadMultipart(user.token, [
      { name: 'name', value: 'orphan.bin' },
      { name: 'type', value: 'file' },
      { name: 'parentId', value: new ObjectId().toHexString() },
      { name: 'file', filename: 'orphan.bin', content: randomBytes(MIB) },
    ]);
    expect(response.status).to.equal(400);
    expect(response.body).to.deep.equal({ error: 'Parent not found' });
    await expectNothingStored(user.id, before);
  });

  it('removes bytes already stored when fields after the file part fail, with 400 "Parent is not a folder"', async () => {
    const user = await createUser();
    const notAFolder = await upload(user.token, { name: 'plain.txt', type: 'file', data: base64('x') });
    const before = await storedKeys();
    const response = await uploadMultipart(user.token, [
      { name: 'file', filename: 'late.bin', content: randomBytes(MIB) },
      { name: 'type', value: 'file' },
      { name: 'parentId', value: notAFolder.id },
    ]);
    expect(response.status).to.equal(400);
    expect(response.body).to.deep.equal({ error: 'Parent is not a folder' });
    expect(await storedKeys()).to.deep.equal(before);
    expect(await dbClient.files.countDocuments({ userId: new ObjectId(user.id) })).to.equal(1);
  });

  it('checks name before type, and "Missing data" when no file part comes, as the JSON upload does', async () => {
    const user = await createUser();
    expect((await uploadMultipart(user.token, [{ name: 'type', value: 'file' }])).body).to.deep.equal({ error: 'Missing name' });
    expect((await uploadMultipart(user.token, [{ name: 'name', value: 'a' }])).body).to.deep.equal({ error: 'Missing type' });
    const noData = await uploadMultipart(user.token, [
      { name: 'name', value: 'a' },
      { name: 'type', value: 'file' },
    ]);
    expect(noData.status).to.equal(400);
    expect(noData.body).to.deep.equal({ error: 'Missing data' });
    expect(await dbClient.files.countDocuments({ userId: new ObjectId(user.id) })).to.equal(0);
  });

  it('rejects a body that ends inside the file part with 400 "Invalid multipart body", and stores nothing', async () => {
    const user = await createUser();
    const before = await storedKeys();
    const { body, contentType } = multipart([
      { name: 'name', value: 'cut.bin' },
      { name: 'type', value: 'file' },
      { name: 'file', filename: 'cut.bin', content: randomBytes(MIB) },
    ]);
    const response = await api('POST', '/files', { token: user.token, body: body.subarray(0, body.length - 1000), headers: { 'Content-Type': contentType } });
    expect(response.status).to.equal(400);
    expect(response.body).to.deep.equal({ error: 'Invalid multipart body' });
    await expectNothingStored(user.id, before);
  });

  it('answers 413 "Payload too large" over UPLOAD_MAX_BYTES and stores nothing', async () => {
    const user = await createUser();
    const before = await storedKeys();
    const response = await withUploadLimit(MIB, () =>
      uploadMultipart(user.token, [
        { name: 'name', value: 'big.bin' },
        { name: 'type', value: 'file' },
        { name: 'file', filename: 'big.bin', content: randomBytes(2 * MIB) },
      ]),
    );
    expect(response.status).to.equal(413);
    expect(response.body).to.deep.equal({ error: 'Payload too large' });
    await expectNothingStored(user.id, before);
  });

  it('leaves no file, no partial file and no document when the client disconnects mid-upload', async () => {
    const user = await createUser();
    const before = await storedKeys();
    const boundary = 'abort-boundary';
    const started = new StreamingRequest('POST', '/files', { token: user.token, headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } });
    await started.write(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\ncut.bin\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\nfile\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.bin"\r\n\r\n`,
      ),
    );
    await abortMidUpload(started, before, new ObjectId(user.id), 'cut.bin');
  });
});

describe('POST /files with a raw body', () => {
  it('stores an application/octet-stream body of several MiB byte for byte, metadata from the query string', async () => {
    const user = await createUser();
    const folder = await upload(user.token, { name: 'raw', type: 'folder' });
    const content = randomBytes(5 * MIB + 3);
    const response = await uploadRaw(user.token, { name: 'blob.bin', type: 'file', parentId: folder.id, isPublic: 'true' }, content);
    await expectStored(response, user.token, content, { name: 'blob.bin', type: 'file', isPublic: true, parentId: folder.id });
  });

  it('treats any non-JSON, non-multipart content type as raw bytes', async () => {
    const user = await createUser();
    const content = Buffer.from('{"not": "parsed"}\n');
    const response = await uploadRaw(user.token, { name: 'notes.txt', type: 'file' }, content, 'text/plain');
    await expectStored(response, user.token, content, { name: 'notes.txt', isPublic: false, parentId: 0 });
  });

  it('rejects bad metadata before reading the body, and stores nothing', async () => {
    const user = await createUser();
    const before = await storedKeys();
    const missingName = await uploadRaw(user.token, { type: 'file' }, randomBytes(MIB));
    expect(missingName.status).to.equal(400);
    expect(missingName.body).to.deep.equal({ error: 'Missing name' });
    const badParent = await uploadRaw(user.token, { name: 'x', type: 'file', parentId: 'nope' }, randomBytes(MIB));
    expect(badParent.body).to.deep.equal({ error: 'Parent not found' });
    await expectNothingStored(user.id, before);
  });

  it('answers 413 "Payload too large" over UPLOAD_MAX_BYTES and stores nothing', async () => {
    const user = await createUser();
    const before = await storedKeys();
    // One byte over shows only at the last byte; far over, the rest of the body is read and dropped.
    for (const size of [MIB + 1, 3 * MIB]) {
      const response = await withUploadLimit(MIB, () => uploadRaw(user.token, { name: 'big.bin', type: 'file' }, randomBytes(size)));
      expect(response.status, `${size}`).to.equal(413);
      expect(response.body).to.deep.equal({ error: 'Payload too large' });
    }
    await expectNothingStored(user.id, before);
  });

  it('accepts a body of exactly UPLOAD_MAX_BYTES', async () => {
    const user = await createUser();
    const content = randomBytes(MIB);
    const response = await withUploadLimit(MIB, () => uploadRaw(user.token, { name: 'edge.bin', type: 'file' }, content));
    await expectStored(response, user.token, content, { name: 'edge.bin' });
  });

  it('leaves no file, no partial file and no document when the client disconnects mid-upload', async () => {
    const user = await createUser();
    const before = await storedKeys();
    const started = new StreamingRequest('POST', '/files?name=cut.bin&type=file', { token: user.token, headers: { 'Content-Type': 'application/octet-stream' } });
    await abortMidUpload(started, before, new ObjectId(user.id), 'cut.bin');
  });

  it('streams a 200 MiB body to disk while the server grows by less than 64 MiB', async function () {
    this.timeout(120_000);
    const user = await createUser();
    const total = 200 * MIB;
    const chunkSize = 64 * 1024;
    // One random block read at shifting offsets: varied content without allocating per chunk.
    const block = randomBytes(chunkSize + 4096);
    const hash = createHash('sha256');
    let sent = 0;
    const source = new Readable({
      read() {
        if (sent >= total) {
          this.push(null);
          return;
        }
        const offset = (sent / chunkSize) % 4093;
        const chunk = block.subarray(offset, offset + Math.min(chunkSize, total - sent));
        sent += chunk.length;
        hash.update(chunk);
        this.push(chunk);
      },
    });

    const { result, growthBytes } = await rssGrowthDuring(user.token, () =>
      withUploadLimit(256 * MIB, () => uploadRaw(user.token, { name: 'huge.bin', type: 'file' }, source)),
    );
    expect(result.status, result.text).to.equal(201);
    expect(growthBytes).to.be.below(64 * MIB);
    const doc = await storedDoc((result.body as PublicFileBody).id);
    expect(doc.size).to.equal(total);
    expect(doc.sha256).to.equal(hash.digest('hex'));
    const blob = await blobOfFile(doc._id.toHexString());
    expect((await blob.store.stat(blob.key))?.size).to.equal(total);
    // 200 MiB is too much to leave in a folder shared with the rest of the run.
    expect((await api('DELETE', `/files/${doc._id.toHexString()}`, { token: user.token })).status).to.equal(204);
  });
});

describe('POST /files with a base64 JSON body', () => {
  it('answers 413 "Payload too large" when the decoded data exceeds UPLOAD_MAX_BYTES, and stores nothing', async () => {
    const user = await createUser();
    const before = await storedKeys();
    const response = await withUploadLimit(1000, () =>
      api('POST', '/files', { token: user.token, json: { name: 'b.bin', type: 'file', data: base64(randomBytes(1001)) } }),
    );
    expect(response.status).to.equal(413);
    expect(response.body).to.deep.equal({ error: 'Payload too large' });
    await expectNothingStored(user.id, before);
  });

  /** Posts `text` as the JSON body, written by hand so members keep the order and form given. */
  const postJson = (token: string, text: string | Buffer, headers: Record<string, string> = {}): Promise<ApiResponse> =>
    api('POST', '/files', { token, body: text, headers: { 'Content-Type': 'application/json', ...headers } });

  it('stores data that comes before the other members, byte for byte, and checks them once the object ends', async () => {
    const user = await createUser();
    const folder = await upload(user.token, { name: 'dir', type: 'folder' });
    const content = randomBytes(3 * MIB + 5);
    const response = await postJson(user.token, `{"data":"${base64(content)}","parentId":"${folder.id}","type":"file","name":"late.bin","isPublic":1}`);
    await expectStored(response, user.token, content, { name: 'late.bin', isPublic: true, parentId: folder.id });

    const before = await storedKeys();
    const stranger = await createUser();
    expectError(await postJson(stranger.token, `{"data":"${base64(content)}","type":"file","name":"x.bin","parentId":"${folder.id}"}`), 400, 'Parent not found');
    expectError(await postJson(stranger.token, `{"data":"${base64(content)}","type":"file"}`), 400, 'Missing name');
    await expectNothingStored(stranger.id, before);
  });

  it('reads base64 split across chunks, with line breaks and JSON escapes, as a parsed body would', async () => {
    const user = await createUser();
    const content = randomBytes(1000);
    const wrapped = base64(content).replace(/.{76}/g, '$&\\r\\n').replace(/\//g, '\\/').replace(/^A/, '\\u0041');
    const body = Buffer.from(`{"name":"mime.bin","type":"file","data":"${wrapped}"}`);
    const stream = Readable.from((function* () {
      for (let offset = 0; offset < body.length; offset += 7) yield body.subarray(offset, offset + 7);
    })());
    const response = await api('POST', '/files', { token: user.token, body: stream, headers: { 'Content-Type': 'application/json' } });
    await expectStored(response, user.token, content, { name: 'mime.bin' });
  });

  it('checks a parent named before data before writing a byte: 400 "Parent not found" or "Parent is not a folder", and the store is never written', async () => {
    const user = await createUser();
    const notAFolder = await upload(user.token, { name: 'plain.txt', type: 'file', data: base64('x') });
    const before = await storedKeys();
    const store = byteStore();
    const written: string[] = [];
    const write = store.write.bind(store);
    // Counts writes where they happen: bytes written and then removed would leave the folder as clean.
    store.write = (key, source, options) => {
      written.push(key);
      return write(key, source, options);
    };
    try {
      const missing = new ObjectId().toHexString();
      expectError(await postJson(user.token, `{"name":"a.bin","type":"file","parentId":"${missing}","data":"${base64(randomBytes(MIB))}"}`), 400, 'Parent not found');
      expectError(await postJson(user.token, `{"parentId":"${notAFolder.id}","type":"file","name":"b.bin","data":"${base64(randomBytes(MIB))}"}`), 400, 'Parent is not a folder');
    } finally {
      Reflect.deleteProperty(store, 'write');
    }
    expect(written).to.deep.equal([]);
    expect(await storedKeys()).to.deep.equal(before);
    expect(await pendingWrites()).to.deep.equal([]);
  });

  it('answers in the contract order whatever the order of the members', async () => {
    const user = await createUser();
    const before = await storedKeys();
    expectError(await postJson(user.token, '{"data":"***","type":"file"}'), 400, 'Missing name');
    expectError(await postJson(user.token, '{"data":"***","name":"a"}'), 400, 'Missing type');
    expectError(await postJson(user.token, '{"parentId":"nope","name":"a","type":"file","data":"***"}'), 400, 'Invalid data');
    expectError(await postJson(user.token, '{"data":12,"name":"a","type":"file"}'), 400, 'Invalid data');
    expectError(await postJson(user.token, '{"data":null,"name":"a","type":"file"}'), 400, 'Missing data');
    expectError(await postJson(user.token, `{"data":"${base64(randomBytes(70_000))}A","name":"a","type":"file"}`), 400, 'Invalid data');
    expectError(await postJson(user.token, '{"name":"a","type":"file","data":"QUJD","isPublic":"yes"}'), 400, 'Invalid isPublic');
    await expectNothingStored(user.id, before);
  });

  it('keeps the last of a repeated data member, as JSON.parse does, and stores nothing of the others', async () => {
    const user = await createUser();
    const before = await storedKeys();
    const response = await postJson(user.token, `{"data":"${base64('first')}","name":"twice.txt","type":"file","data":"${base64('second')}"}`);
    const file = await expectStored(response, user.token, Buffer.from('second'), { name: 'twice.txt' });
    expect((await storedKeys()).filter((key) => !before.includes(key))).to.deep.equal([(await blobOfFile(file.id)).key]);
  });

  it('makes a folder of a body with data, and stores none of the data', async () => {
    const user = await createUser();
    const before = await storedKeys();
    const response = await postJson(user.token, `{"data":"${base64(randomBytes(100_000))}","name":"dir","type":"folder"}`);
    expect(response.status, response.text).to.equal(201);
    expect(await storedKeys()).to.deep.equal(before);
  });

  it('answers a malformed body with "Invalid JSON", and an empty one or JSON but no object with "Missing name"', async () => {
    const user = await createUser();
    for (const text of ['{', '{"name":"a"', '{"name" "a"}', '{"name":"a",}', '{"name":"a"} x', '{"name":tru}', `{"name":"a","type":"file","data":"QU${String.fromCharCode(1)}JD"}`]) {
      expectError(await postJson(user.token, text), 400, 'Invalid JSON');
    }
    for (const text of ['', '[]', '"name"', '42', 'null', '[{"name":"a"}]']) expectError(await postJson(user.token, text), 400, 'Missing name');
    expectError(await postJson(user.token, ' \n'), 400, 'Invalid JSON');
  });

  it('reads a gzip-compressed body, and refuses a charset other than UTF-8 with 415', async () => {
    const user = await createUser();
    const content = randomBytes(5000);
    const response = await postJson(user.token, gzipSync(JSON.stringify({ name: 'zipped.bin', type: 'file', data: base64(content) })), { 'Content-Encoding': 'gzip' });
    await expectStored(response, user.token, content, { name: 'zipped.bin' });
    expectError(await postJson(user.token, '{}', { 'Content-Type': 'application/json; charset=latin1' }), 415, 'Unsupported media type');
  });

  it('streams a 100 MiB file sent as base64 JSON while the server grows by less than 64 MiB', async function () {
    this.timeout(120_000);
    const user = await createUser();
    const total = 100 * MIB;
    const block = randomBytes(3 * 64 * 1024);
    const text = block.toString('base64');
    const head = Buffer.from('{"name":"big-json.bin","type":"file","data":"');
    let sent = 0;
    const hash = createHash('sha256');
    const body = Readable.from((function* () {
      yield head;
      for (; sent < total; sent += block.length) {
        hash.update(block);
        yield Buffer.from(text);
      }
      yield Buffer.from('"}');
    })());
    const { result: response, growthBytes } = await rssGrowthDuring(user.token, () =>
      withUploadLimit(128 * MIB, () => api('POST', '/files', { token: user.token, body, headers: { 'Content-Type': 'application/json' }, timeoutMs: 110_000 })),
    );
    expect(response.status, response.text).to.equal(201);
    expect(growthBytes).to.be.below(64 * MIB);
    const doc = await storedDoc((response.body as PublicFileBody).id);
    expect(doc.size).to.equal(sent);
    expect(doc.sha256).to.equal(hash.digest('hex'));
    expect((await api('DELETE', `/files/${doc._id.toHexString()}`, { token: user.token })).status).to.equal(204);
  });
});

describe('GET /files/:id?fields=all', () => {
  it('shows size, sha256 and createdAt for base64 JSON, multipart and raw uploads', async () => {
    const user = await createUser();
    const content = randomBytes(1500);
    const started = Date.now();
    const uploads = [
      await upload(user.token, { name: 'json.bin', type: 'file', data: base64(content) }),
      (await uploadMultipart(user.token, [{ name: 'type', value: 'file' }, { name: 'f', filename: 'multi.bin', content }])).body as PublicFileBody,
      (await uploadRaw(user.token, { name: 'raw.bin', type: 'file' }, content)).body as PublicFileBody,
    ];
    for (const file of uploads) {
      const shown = await api('GET', `/files/${file.id}?fields=all`, { token: user.token });
      expect(shown.status).to.equal(200);
      const body = shown.body as Record<string, unknown>;
      expect(Object.keys(body).sort()).to.deep.equal([...PUBLIC_FILE_KEYS, 'size', 'sha256', 'createdAt'].sort());
      expect(body).to.deep.include({ ...file, size: content.length, sha256: sha256(content) });
      const createdAt = Date.parse(body.createdAt as string);
      expect(createdAt).to.be.within(started - 1000, Date.now() + 1000);
    }
  });

  it('shows a folder with a creation date and no size or hash', async () => {
    const user = await createUser();
    const folder = await upload(user.token, { name: 'dir', type: 'folder' });
    const body = (await api('GET', `/files/${folder.id}?fields=all`, { token: user.token })).body as Record<string, unknown>;
    expect(body).to.deep.include({ ...folder, size: null, sha256: null });
    expect(body.createdAt).to.be.a('string');
  });

  it('leaves the default shape at exactly the six contract fields', async () => {
    const user = await createUser();
    const file = await upload(user.token, { name: 'plain.txt', type: 'file', data: base64('hello') });
    const shown = await api('GET', `/files/${file.id}`, { token: user.token });
    expect(shown.body).to.deep.equal(file);
    expect(Object.keys(shown.body as object).sort()).to.deep.equal([...PUBLIC_FILE_KEYS].sort());
  });
});
