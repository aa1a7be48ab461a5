import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { validate as isUuid, version as uuidVersion } from 'uuid';
import { dbClient, type StoredParentId } from '../../utils/db';
import { queues } from '../../utils/queues';
import { LOCAL_STAGING_FOLDER } from '../../utils/storage/localStaging';
import {
  api,
  findDoc,
  harness,
  base64,
  createUser,
  expectError,
  jobData,
  makeImage,
  upload,
  type ApiResponse,
  type PublicFileBody,
  type TestUser,
} from '../support';

const PUBLIC_FIELDS = ['id', 'isPublic', 'name', 'parentId', 'type', 'userId'];

function postFile(user: TestUser, fields: Record<string, unknown>): Promise<ApiResponse> {
  return api('POST', '/files', { token: user.token, json: fields });
}

async function thumbnailJobsFor(fileId: string): Promise<unknown[]> {
  return (await jobData(queues.fileQueue)).filter((data) => data.fileId === fileId);
}

/** Inserts a document as another tool might have written it, bypassing the API's normalisation. */
async function insertRaw(user: TestUser, fields: { name: string; parentId: StoredParentId; isPublic?: boolean }): Promise<string> {
  const { insertedId } = await dbClient.files.insertOne({
    _id: new ObjectId(),
    userId: new ObjectId(user.id),
    type: 'folder',
    ...fields,
  });
  return insertedId.toHexString();
}

describe('POST /files', () => {
  describe('authentication', () => {
    it('answers 401 "Unauthorized" without a token, before looking at the body', async () => {
      expectError(await api('POST', '/files', { json: {} }), 401, 'Unauthorized');
      expectError(await api('POST', '/files', { headers: { 'Content-Type': 'application/json' }, body: '{broken' }), 401, 'Unauthorized');
    });

    it('answers 401 "Unauthorized" for an unknown token and stores nothing', async () => {
      const name = `anonymous-${new ObjectId().toHexString()}`;
      const response = await api('POST', '/files', { token: 'unknown', json: { name, type: 'file', data: base64('x') } });
      expectError(response, 401, 'Unauthorized');
      expect(await dbClient.files.countDocuments({ name })).to.equal(0);
    });
  });

  describe('validation, in the contract order', () => {
    for (const name of [undefined, '', 42, null, ['a.txt'], { n: 1 }]) {
      it(`answers name ${JSON.stringify(name) ?? 'absent'} with 400 "Missing name"`, async () => {
        const user = await createUser();
        expectError(await postFile(user, { name, type: 'file', data: base64('x') }), 400, 'Missing name');
      });
    }

    for (const type of [undefined, '', 'document', 'Folder', 7, null]) {
      it(`answers type ${JSON.stringify(type) ?? 'absent'} with 400 "Missing type"`, async () => {
        const user = await createUser();
        expectError(await postFile(user, { name: 'a', type, data: base64('x') }), 400, 'Missing type');
      });
    }

    for (const type of ['file', 'image']) {
      for (const data of [undefined, null]) {
        it(`answers a ${type} with data ${String(data)} with 400 "Missing data"`, async () => {
          const user = await createUser();
          expectError(await postFile(user, { name: 'a', type, data }), 400, 'Missing data');
        });
      }
    }

    for (const data of ['not base64!', '@@@@', 'YQ=Y', 'a', 'YWJj=', 12345, true, ['YQ==']]) {
      it(`answers data ${JSON.stringify(data)} with 400 "Invalid data"`, async () => {
        const user = await createUser();
        expectError(await postFile(user, { name: 'a', type: 'file', data }), 400, 'Invalid data');
      });
    }

    it('checks name, then type, then data, then parentId', async () => {
      const user = await createUser();
      expectError(await postFile(user, { type: 'bad', parentId: 'bad', data: '!' }), 400, 'Missing name');
      expectError(await postFile(user, { name: 'a', type: 'bad', parentId: 'bad', data: '!' }), 400, 'Missing type');
      expectError(await postFile(user, { name: 'a', type: 'file', parentId: 'bad' }), 400, 'Missing data');
      expectError(await postFile(user, { name: 'a', type: 'file', parentId: 'bad', data: '!' }), 400, 'Invalid data');
      expectError(await postFile(user, { name: 'a', type: 'file', parentId: 'bad', data: base64('x') }), 400, 'Parent not found');
    });

    it('stores nothing, in the database or on disk, for a rejected upload', async () => {
      const user = await createUser();
      const before = await readdir(harness().folderPath);
      const rejected = [
        { name: 'a', type: 'file', data: '!!' },
        { name: 'a', type: 'file', data: base64('x'), parentId: new ObjectId().toHexString() },
      ];
      for (const fields of rejected) expect((await postFile(user, fields)).status).to.equal(400);
      expect(await dbClient.files.countDocuments({ userId: new ObjectId(user.id) })).to.equal(0);
      expect(await readdir(harness().folderPath)).to.have.members(before);
    });
  });

  describe('parentId', () => {
    for (const parentId of [undefined, 0, '0', '', null]) {
      it(`puts a file with parentId ${JSON.stringify(parentId) ?? 'absent'} at the root, stored as the number 0 and returned as 0`, async () => {
        const user = await createUser();
        const response = await postFile(user, { name: 'a.txt', type: 'file', data: base64('x'), parentId });
        expect(response.status).to.equal(201);
        const body = response.body as PublicFileBody;
        expect(body.parentId).to.equal(0);
        expect((await findDoc(body.id))?.parentId).to.equal(0);
      });
    }

    it('stores a child\'s parentId as an ObjectId and returns it as its hex string', async () => {
      const user = await createUser();
      const folder = await upload(user.token, { name: 'docs', type: 'folder' });
      for (const type of ['folder', 'file', 'image'] as const) {
        const data = type === 'folder' ? undefined : base64(await makeImage(4, 4));
        const child = await upload(user.token, { name: `child-${type}`, type, data, parentId: folder.id });
        expect(child.parentId).to.equal(folder.id);
        const stored = await findDoc(child.id);
        expect(stored?.parentId).to.be.instanceOf(ObjectId);
        expect((stored?.parentId as ObjectId).toHexString()).to.equal(folder.id);
      }
    });

    for (const [what, parentId] of [
      ['not an ObjectId', 'not-an-id'],
      ['a number other than 0', 12],
      ['an id no document has', new ObjectId().toHexString()],
    ] as const) {
      it(`answers a parentId that is ${what} with 400 "Parent not found"`, async () => {
        const user = await createUser();
        expectError(await postFile(user, { name: 'a', type: 'folder', parentId }), 400, 'Parent not found');
      });
    }

    it('answers another user\'s folder as parentId with 400 "Parent not found"', async () => {
      const [owner, intruder] = [await createUser(), await createUser()];
      const folder = await upload(owner.token, { name: 'private', type: 'folder' });
      expectError(await postFile(intruder, { name: 'a', type: 'folder', parentId: folder.id }), 400, 'Parent not found');
      expect(await dbClient.files.countDocuments({ userId: new ObjectId(intruder.id) })).to.equal(0);
    });

    for (const type of ['file', 'image'] as const) {
      it(`answers a ${type} as parentId with 400 "Parent is not a folder"`, async () => {
        const user = await createUser();
        const parent = await upload(user.token, { name: 'p', type, data: base64(await makeImage(4, 4)) });
        expectError(await postFile(user, { name: 'a', type: 'folder', parentId: parent.id }), 400, 'Parent is not a folder');
      });
    }
  });

  describe('isPublic', () => {
    const cases: [unknown, boolean][] = [
      [true, true],
      ['true', true],
      [1, true],
      ['1', true],
      [undefined, false],
      [false, false],
      ['false', false],
      [0, false],
      ['0', false],
      [null, false],
    ];
    for (const [isPublic, expected] of cases) {
      it(`stores and returns ${String(expected)} for isPublic ${JSON.stringify(isPublic) ?? 'absent'}`, async () => {
        const user = await createUser();
        const file = await upload(user.token, { name: 'a', type: 'folder', isPublic });
        expect(file.isPublic).to.equal(expected);
        expect((await findDoc(file.id))?.isPublic).to.equal(expected);
      });
    }

    for (const isPublic of ['yes', 'TRUE', '', 2, -1, [true], { $ne: false }]) {
      it(`answers isPublic ${JSON.stringify(isPublic)} with 400 "Invalid isPublic" and stores nothing`, async () => {
        const user = await createUser();
        expectError(await postFile(user, { name: 'a.txt', type: 'file', data: base64('x'), isPublic }), 400, 'Invalid isPublic');
        expect(await dbClient.files.countDocuments({ userId: new ObjectId(user.id) })).to.equal(0);
      });
    }

    it('checks isPublic after the contract\'s own checks, the parent included', async () => {
      const user = await createUser();
      const bad = { isPublic: 'yes' };
      expectError(await postFile(user, { ...bad, type: 'file' }), 400, 'Missing name');
      expectError(await postFile(user, { ...bad, name: 'a', type: 'file' }), 400, 'Missing data');
      expectError(await postFile(user, { ...bad, name: 'a', type: 'file', data: base64('x'), parentId: new ObjectId().toHexString() }), 400, 'Parent not found');
    });
  });

  describe('a created document', () => {
    it('answers 201 with exactly id, userId, name, type, isPublic and parentId for each type', async () => {
      const user = await createUser();
      for (const type of ['folder', 'file', 'image'] as const) {
        const data = type === 'folder' ? undefined : base64(await makeImage(4, 4));
        const response = await postFile(user, { name: `new ${type}`, type, data, isPublic: true });
        expect(response.status).to.equal(201);
        const body = response.body as PublicFileBody;
        expect(Object.keys(body).sort()).to.deep.equal(PUBLIC_FIELDS);
        expect(body).to.deep.equal({ id: body.id, userId: user.id, name: `new ${type}`, type, isPublic: true, parentId: 0 });
        expect(body.id).to.match(/^[0-9a-f]{24}$/);
      }
    });

    it('inserts a folder as {userId: ObjectId, name, type, isPublic, parentId} without a localPath', async () => {
      const user = await createUser();
      const folder = await upload(user.token, { name: 'empty', type: 'folder', data: base64('ignored') });
      const stored = await findDoc(folder.id);
      expect(stored?.userId).to.be.instanceOf(ObjectId);
      expect(stored?.userId.toHexString()).to.equal(user.id);
      expect(stored).to.include({ name: 'empty', type: 'folder', isPublic: false, parentId: 0 });
      expect(stored).to.not.have.property('localPath');
    });

    it('has the decoded bytes on disk when it answers, at FOLDER_PATH/<uuid v4>, with a localPath in the document', async () => {
      const user = await createUser();
      const content = Buffer.from('Hello, Files Manager!\n\u00e9\u00e8');
      const response = await postFile(user, { name: 'hello.txt', type: 'file', data: base64(content) });
      expect(response.status).to.equal(201);
      const stored = await findDoc((response.body as PublicFileBody).id);
      const localPath = stored?.localPath ?? '';
      expect(path.dirname(localPath)).to.equal(harness().folderPath);
      expect(isUuid(path.basename(localPath))).to.equal(true);
      expect(uuidVersion(path.basename(localPath))).to.equal(4);
      expect(await readFile(localPath)).to.deep.equal(content);
      expect(stored).to.include({ name: 'hello.txt', type: 'file', isPublic: false, parentId: 0 });
      expect(stored?.userId.toHexString()).to.equal(user.id);
    });

    it('stores an empty string as a valid empty file', async () => {
      const user = await createUser();
      const file = await upload(user.token, { name: 'empty.txt', type: 'file', data: '' });
      const localPath = (await findDoc(file.id))?.localPath ?? '';
      expect((await stat(localPath)).size).to.equal(0);
    });

    it('gives every file a path of its own and keeps FOLDER_PATH flat, also for files in sub-folders', async () => {
      const user = await createUser();
      const folder = await upload(user.token, { name: 'nested', type: 'folder' });
      const files = [
        await upload(user.token, { name: 'same.txt', type: 'file', data: base64('one') }),
        await upload(user.token, { name: 'same.txt', type: 'file', data: base64('two'), parentId: folder.id }),
      ];
      const paths = await Promise.all(files.map(async (file) => (await findDoc(file.id))?.localPath));
      expect(new Set(paths).size).to.equal(2);
      for (const localPath of paths) expect(path.dirname(localPath ?? '')).to.equal(harness().folderPath);
      const entries = await readdir(harness().folderPath, { withFileTypes: true });
      // Resumable uploads grow in a folder of their own: see LocalStaging.
      expect(entries.filter((entry) => entry.isDirectory() && entry.name !== LOCAL_STAGING_FOLDER).map((entry) => entry.name)).to.deep.equal([]);
    });

    it('enqueues {userId, fileId} on fileQueue for an image', async () => {
      const user = await createUser();
      const image = await upload(user.token, { name: 'pic.png', type: 'image', data: base64(await makeImage(8, 8)) });
      expect(await thumbnailJobsFor(image.id)).to.deep.equal([{ userId: user.id, fileId: image.id }]);
      expect(queues.fileQueue.name).to.equal('fileQueue');
    });

    it('enqueues nothing for a file or a folder', async () => {
      const user = await createUser();
      const file = await upload(user.token, { name: 'pic.png', type: 'file', data: base64(await makeImage(8, 8)) });
      const folder = await upload(user.token, { name: 'pics', type: 'folder' });
      expect(await thumbnailJobsFor(file.id)).to.deep.equal([]);
      expect(await thumbnailJobsFor(folder.id)).to.deep.equal([]);
    });
  });
});

describe('GET /files/:id', () => {
  it('answers 401 "Unauthorized" without a valid token', async () => {
    const user = await createUser();
    const folder = await upload(user.token, { name: 'x', type: 'folder' });
    expectError(await api('GET', `/files/${folder.id}`), 401, 'Unauthorized');
    expectError(await api('GET', `/files/${folder.id}`, { token: 'nope' }), 401, 'Unauthorized');
  });

  it('answers 200 with exactly the six fields of the owner\'s document', async () => {
    const user = await createUser();
    const folder = await upload(user.token, { name: 'parent', type: 'folder' });
    const file = await upload(user.token, { name: 'a.txt', type: 'file', data: base64('a'), parentId: folder.id, isPublic: true });
    const response = await api('GET', `/files/${file.id}`, { token: user.token });
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal(file);
    expect(Object.keys(response.body as object).sort()).to.deep.equal(PUBLIC_FIELDS);
  });

  it('answers another user\'s document with 404 "Not found"', async () => {
    const [owner, other] = [await createUser(), await createUser()];
    const file = await upload(owner.token, { name: 'a.txt', type: 'file', data: base64('a'), isPublic: true });
    expectError(await api('GET', `/files/${file.id}`, { token: other.token }), 404, 'Not found');
  });

  for (const id of ['not-an-id', new ObjectId().toHexString(), '123', 'zzzzzzzzzzzzzzzzzzzzzzzz']) {
    it(`answers the id ${id} with 404 "Not found"`, async () => {
      const user = await createUser();
      expectError(await api('GET', `/files/${id}`, { token: user.token }), 404, 'Not found');
    });
  }
});

describe('GET /files', () => {
  it('answers 401 "Unauthorized" without a valid token', async () => {
    expectError(await api('GET', '/files'), 401, 'Unauthorized');
    expectError(await api('GET', '/files', { token: 'nope' }), 401, 'Unauthorized');
  });

  it('lists the user\'s root by default, and only the user\'s own documents', async () => {
    const [user, other] = [await createUser(), await createUser()];
    const folder = await upload(user.token, { name: 'f', type: 'folder' });
    const file = await upload(user.token, { name: 'a.txt', type: 'file', data: base64('a') });
    await upload(user.token, { name: 'inside', type: 'folder', parentId: folder.id });
    await upload(other.token, { name: 'theirs', type: 'folder' });
    const response = await api('GET', '/files', { token: user.token });
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal([folder, file]);
  });

  it('lists a folder\'s children for parentId=<folder id>', async () => {
    const user = await createUser();
    const folder = await upload(user.token, { name: 'f', type: 'folder' });
    const children = [
      await upload(user.token, { name: 'c1', type: 'folder', parentId: folder.id }),
      await upload(user.token, { name: 'c2', type: 'file', data: base64('2'), parentId: folder.id }),
    ];
    await upload(user.token, { name: 'root', type: 'folder' });
    expect((await api('GET', `/files?parentId=${folder.id}`, { token: user.token })).body).to.deep.equal(children);
  });

  describe('pagination', () => {
    async function arrange(): Promise<{ user: TestUser; all: string[] }> {
      const user = await createUser();
      const all: string[] = [];
      for (let i = 0; i < 25; i += 1) all.push((await upload(user.token, { name: `item ${i}`, type: 'folder' })).id);
      return { user, all };
    }

    const page = async (user: TestUser, query: string): Promise<string[]> => {
      const response = await api('GET', `/files${query}`, { token: user.token });
      expect(response.status).to.equal(200);
      return (response.body as PublicFileBody[]).map((file) => file.id);
    };

    it('splits 25 documents into pages of 20, 5 and 0, disjoint and sorted by id', async () => {
      const { user, all } = await arrange();
      const pages = [await page(user, '?page=0'), await page(user, '?page=1'), await page(user, '?page=2')];
      expect(pages.map((ids) => ids.length)).to.deep.equal([20, 5, 0]);
      expect([...(pages[0] ?? []), ...(pages[1] ?? [])]).to.deep.equal([...all].sort());
      expect(new Set([...(pages[0] ?? []), ...(pages[1] ?? [])]).size).to.equal(25);
    });

    it('reads a page that is not an integer ≥ 0 as page 0', async () => {
      const { user, all } = await arrange();
      const sorted = [...all].sort();
      const first = sorted.slice(0, 20);
      for (const value of ['', 'abc', '-1', '1.5', '1e1', ' 1', '0x1', '99999999999999999999']) {
        expect(await page(user, `?page=${encodeURIComponent(value)}`), `page=${value}`).to.deep.equal(first);
      }
      expect(await page(user, '')).to.deep.equal(first);
      expect(await page(user, '?page=1')).to.deep.equal(sorted.slice(20));
    });
  });

  describe('stored parentId forms', () => {
    it('matches the root stored as 0 or "0", echoes each as stored, and reads a missing isPublic as false', async () => {
      const user = await createUser();
      const zero = await insertRaw(user, { name: 'zero', parentId: 0 });
      const zeroString = await insertRaw(user, { name: 'zero-string', parentId: '0', isPublic: true });
      const expected = [
        { id: zero, userId: user.id, name: 'zero', type: 'folder', isPublic: false, parentId: 0 },
        { id: zeroString, userId: user.id, name: 'zero-string', type: 'folder', isPublic: true, parentId: '0' },
      ];
      for (const query of ['', '?parentId=0', '?parentId=']) {
        expect((await api('GET', `/files${query}`, { token: user.token })).body, query).to.deep.equal(expected);
      }
    });

    it('matches a child stored with an ObjectId or a hex string parentId, and echoes both as hex', async () => {
      const user = await createUser();
      const folder = await insertRaw(user, { name: 'parent', parentId: 0 });
      const asObjectId = await insertRaw(user, { name: 'oid', parentId: new ObjectId(folder) });
      const asString = await insertRaw(user, { name: 'hex', parentId: folder });
      const response = await api('GET', `/files?parentId=${folder}`, { token: user.token });
      expect(response.body).to.deep.equal([
        { id: asObjectId, userId: user.id, name: 'oid', type: 'folder', isPublic: false, parentId: folder },
        { id: asString, userId: user.id, name: 'hex', type: 'folder', isPublic: false, parentId: folder },
      ]);
    });

    it('finds a document through GET /files/:id whatever form its parentId was stored in', async () => {
      const user = await createUser();
      const stored = await insertRaw(user, { name: 'legacy', parentId: '0' });
      const response = await api('GET', `/files/${stored}`, { token: user.token });
      expect(response.body).to.deep.equal({ id: stored, userId: user.id, name: 'legacy', type: 'folder', isPublic: false, parentId: '0' });
    });
  });

  for (const [what, parentId] of [
    ['not an ObjectId', 'not-an-id'],
    ['an id no document has', new ObjectId().toHexString()],
  ]) {
    it(`answers a parentId that is ${what} with []`, async () => {
      const user = await createUser();
      await upload(user.token, { name: 'root item', type: 'folder' });
      const response = await api('GET', `/files?parentId=${parentId}`, { token: user.token });
      expect(response.status).to.equal(200);
      expect(response.body).to.deep.equal([]);
    });
  }

  it('answers another user\'s folder as parentId with []', async () => {
    const [owner, other] = [await createUser(), await createUser()];
    const folder = await upload(owner.token, { name: 'f', type: 'folder' });
    await upload(owner.token, { name: 'child', type: 'folder', parentId: folder.id });
    expect((await api('GET', `/files?parentId=${folder.id}`, { token: other.token })).body).to.deep.equal([]);
  });
});

for (const [action, isPublic] of [
  ['publish', true],
  ['unpublish', false],
] as const) {
  describe(`PUT /files/:id/${action}`, () => {
    it('answers 401 "Unauthorized" without a valid token', async () => {
      const user = await createUser();
      const file = await upload(user.token, { name: 'a', type: 'folder', isPublic: !isPublic });
      expectError(await api('PUT', `/files/${file.id}/${action}`), 401, 'Unauthorized');
      expectError(await api('PUT', `/files/${file.id}/${action}`, { token: 'nope' }), 401, 'Unauthorized');
      expect((await findDoc(file.id))?.isPublic).to.equal(!isPublic);
    });

    it('answers another user\'s document with 404 "Not found" and leaves it unchanged', async () => {
      const [owner, other] = [await createUser(), await createUser()];
      const file = await upload(owner.token, { name: 'a', type: 'file', data: base64('a'), isPublic: !isPublic });
      expectError(await api('PUT', `/files/${file.id}/${action}`, { token: other.token }), 404, 'Not found');
      expect((await findDoc(file.id))?.isPublic).to.equal(!isPublic);
    });

    for (const id of ['not-an-id', new ObjectId().toHexString()]) {
      it(`answers the id ${id} with 404 "Not found"`, async () => {
        const user = await createUser();
        expectError(await api('PUT', `/files/${id}/${action}`, { token: user.token }), 404, 'Not found');
      });
    }

    for (const type of ['folder', 'file', 'image'] as const) {
      it(`sets isPublic to ${String(isPublic)} on a ${type} and answers 200 with the document`, async () => {
        const user = await createUser();
        const data = type === 'folder' ? undefined : base64(await makeImage(4, 4));
        const file = await upload(user.token, { name: `a ${type}`, type, data, isPublic: !isPublic });
        for (let attempt = 0; attempt < 2; attempt += 1) {
          const response = await api('PUT', `/files/${file.id}/${action}`, { token: user.token });
          expect(response.status).to.equal(200);
          expect(response.body).to.deep.equal({ ...file, isPublic });
          expect((await findDoc(file.id))?.isPublic).to.equal(isPublic);
        }
      });
    }
  });
}
