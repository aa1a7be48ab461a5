import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { dbClient } from '../../utils/db';
import { api, type ApiResponse, base64, createUser, harness, type PublicFileBody, type TestUser, upload, uploadMultipart, expectError } from '../support';

/** User A's tree, user B's own things, and nothing else: B attacks, A's state must not move. */
interface World {
  a: TestUser;
  b: TestUser;
  folder: PublicFileBody;
  secret: PublicFileBody;
  shared: PublicFileBody;
  bFolder: PublicFileBody;
  bFile: PublicFileBody;
}

async function arrange(): Promise<World> {
  const [a, b] = [await createUser(), await createUser()];
  const folder = await upload(a.token, { name: 'private', type: 'folder' });
  const secret = await upload(a.token, { name: 'secret.txt', type: 'file', data: base64('top secret'), parentId: folder.id });
  const shared = await upload(a.token, { name: 'shared.txt', type: 'file', data: base64('for all'), isPublic: true });
  const bFolder = await upload(b.token, { name: 'mine', type: 'folder' });
  const bFile = await upload(b.token, { name: 'mine.txt', type: 'file', data: base64('mine') });
  // The ids are real: their owner reaches every one of them.
  for (const file of [folder, secret, shared]) expect((await api('GET', `/files/${file.id}`, { token: a.token })).status).to.equal(200);
  expect((await api('GET', `/files/${secret.id}/data`, { token: a.token })).text).to.equal('top secret');
  return { a, b, folder, secret, shared, bFolder, bFile };
}

/** Every document of `userId` with the hash of its bytes, in a stable order. */
async function snapshot(userId: string): Promise<unknown[]> {
  const docs = await dbClient.files.find({ userId: new ObjectId(userId) }).sort({ _id: 1 }).toArray();
  return Promise.all(
    docs.map(async (doc) => ({
      ...doc,
      bytes: doc.localPath === undefined ? null : createHash('sha256').update(await readFile(doc.localPath)).digest('hex'),
    })),
  );
}

/** Stored originals are named by a bare uuid; thumbnails and temporary files are not counted. */
async function blobNames(): Promise<Set<string>> {
  const names = await readdir(harness().folderPath);
  return new Set(names.filter((name) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(name)));
}

const NOT_FOUND = { status: 404, body: { error: 'Not found' } };
const PARENT_NOT_FOUND = { status: 400, body: { error: 'Parent not found' } };

interface Attempt {
  what: string;
  run: (world: World) => Promise<ApiResponse>;
  expected: { status: number; body: unknown };
}

type Target = 'folder' | 'secret';
const ID_FORMS: [string, (id: string) => string][] = [
  ['its id', (id) => id],
  ['its id in upper case', (id) => id.toUpperCase()],
];

function attemptsOn(target: Target): Attempt[] {
  const attempts: Attempt[] = [];
  for (const [form, spell] of ID_FORMS) {
    const id = (world: World) => spell(world[target].id);
    const as = (world: World) => ({ token: world.b.token });
    attempts.push(
      { what: `read A's ${target} by ${form}`, run: (w) => api('GET', `/files/${id(w)}`, as(w)), expected: NOT_FOUND },
      { what: `read A's ${target} in detail by ${form}`, run: (w) => api('GET', `/files/${id(w)}?fields=all`, as(w)), expected: NOT_FOUND },
      { what: `publish A's ${target} by ${form}`, run: (w) => api('PUT', `/files/${id(w)}/publish`, as(w)), expected: NOT_FOUND },
      { what: `unpublish A's ${target} by ${form}`, run: (w) => api('PUT', `/files/${id(w)}/unpublish`, as(w)), expected: NOT_FOUND },
      { what: `rename A's ${target} by ${form}`, run: (w) => api('PATCH', `/files/${id(w)}`, { ...as(w), json: { name: 'pwned' } }), expected: NOT_FOUND },
      {
        what: `publish A's ${target} through PATCH by ${form}`,
        run: (w) => api('PATCH', `/files/${id(w)}`, { ...as(w), json: { isPublic: true } }),
        expected: NOT_FOUND,
      },
      {
        what: `move A's ${target} into B's folder by ${form}`,
        run: (w) => api('PATCH', `/files/${id(w)}`, { ...as(w), json: { parentId: w.bFolder.id } }),
        expected: NOT_FOUND,
      },
      { what: `move A's ${target} to the root by ${form}`, run: (w) => api('PATCH', `/files/${id(w)}`, { ...as(w), json: { parentId: 0 } }), expected: NOT_FOUND },
      { what: `delete A's ${target} by ${form}`, run: (w) => api('DELETE', `/files/${id(w)}`, as(w)), expected: NOT_FOUND },
    );
    if (target === 'secret') {
      attempts.push(
        { what: `download A's secret by ${form}`, run: (w) => api('GET', `/files/${id(w)}/data`, as(w)), expected: NOT_FOUND },
        { what: `download A's secret anonymously by ${form}`, run: (w) => api('GET', `/files/${id(w)}/data`), expected: NOT_FOUND },
        {
          what: `download a thumbnail of A's secret by ${form}`,
          run: (w) => api('GET', `/files/${id(w)}/data?size=100`, as(w)),
          expected: NOT_FOUND,
        },
        { what: `use A's secret as a parent by ${form}`, run: (w) => api('POST', '/files', { ...as(w), json: { name: 'x', type: 'folder', parentId: id(w) } }), expected: PARENT_NOT_FOUND },
      );
    } else {
      attempts.push(
        {
          what: `list A's folder by ${form}`,
          run: (w) => api('GET', `/files?parentId=${id(w)}`, as(w)),
          expected: { status: 200, body: [] },
        },
        {
          what: `create a folder in A's folder by ${form}`,
          run: (w) => api('POST', '/files', { ...as(w), json: { name: 'x', type: 'folder', parentId: id(w) } }),
          expected: PARENT_NOT_FOUND,
        },
        {
          what: `upload JSON into A's folder by ${form}`,
          run: (w) => api('POST', '/files', { ...as(w), json: { name: 'x.txt', type: 'file', data: base64('planted'), parentId: id(w) } }),
          expected: PARENT_NOT_FOUND,
        },
        {
          what: `upload a raw body into A's folder by ${form}`,
          run: (w) =>
            api('POST', `/files?name=x.txt&type=file&parentId=${id(w)}`, {
              ...as(w),
              body: 'planted',
              headers: { 'Content-Type': 'application/octet-stream' },
            }),
          expected: PARENT_NOT_FOUND,
        },
        {
          what: `upload multipart, file part first, into A's folder by ${form}`,
          run: (w) =>
            uploadMultipart(w.b.token, [
              { name: 'file', filename: 'x.txt', content: Buffer.from('planted') },
              { name: 'type', value: 'file' },
              { name: 'parentId', value: id(w) },
            ]),
          expected: PARENT_NOT_FOUND,
        },
        {
          what: `move B's own file into A's folder by ${form}`,
          run: (w) => api('PATCH', `/files/${w.bFile.id}`, { ...as(w), json: { parentId: id(w) } }),
          expected: PARENT_NOT_FOUND,
        },
        {
          what: `move B's own folder into A's folder by ${form}`,
          run: (w) => api('PATCH', `/files/${w.bFolder.id}`, { ...as(w), json: { parentId: id(w) } }),
          expected: PARENT_NOT_FOUND,
        },
      );
    }
  }
  return attempts;
}

const OTHER_ATTEMPTS: Attempt[] = [
  { what: "unpublish A's public file", run: (w) => api('PUT', `/files/${w.shared.id}/unpublish`, { token: w.b.token }), expected: NOT_FOUND },
  { what: "rename A's public file", run: (w) => api('PATCH', `/files/${w.shared.id}`, { token: w.b.token, json: { name: 'x' } }), expected: NOT_FOUND },
  { what: "delete A's public file", run: (w) => api('DELETE', `/files/${w.shared.id}`, { token: w.b.token }), expected: NOT_FOUND },
  {
    what: 'use an operator as a parent id',
    run: (w) => api('POST', '/files', { token: w.b.token, json: { name: 'x', type: 'folder', parentId: { $ne: null } } }),
    expected: PARENT_NOT_FOUND,
  },
  {
    what: 'move a file under an operator',
    run: (w) => api('PATCH', `/files/${w.bFile.id}`, { token: w.b.token, json: { parentId: { $gt: '' } } }),
    expected: { status: 400, body: { error: 'Invalid fields: parentId' } },
  },
];

describe('isolation between users', () => {
  for (const attempt of [...attemptsOn('folder'), ...attemptsOn('secret'), ...OTHER_ATTEMPTS]) {
    it(`B cannot ${attempt.what}: ${attempt.expected.status}, and nothing of A's changes`, async () => {
      const world = await arrange();
      const [beforeA, beforeB, blobsBefore] = [await snapshot(world.a.id), await snapshot(world.b.id), await blobNames()];

      const response = await attempt.run(world);
      expect(response.status).to.equal(attempt.expected.status);
      expect(response.body).to.deep.equal(attempt.expected.body);

      expect(await snapshot(world.a.id), "A's documents and bytes").to.deep.equal(beforeA);
      expect(await snapshot(world.b.id), "B's documents and bytes").to.deep.equal(beforeB);
      const planted = [...(await blobNames())].filter((name) => !blobsBefore.has(name));
      expect(planted, 'bytes left on disk').to.deep.equal([]);
    });
  }

  it("B's listing of the root, page after page, never shows A's files", async () => {
    const world = await arrange();
    const seen: PublicFileBody[] = [];
    for (let page = 0; page < 5; page += 1) {
      const response = await api('GET', `/files?page=${page}`, { token: world.b.token });
      expect(response.status).to.equal(200);
      seen.push(...(response.body as PublicFileBody[]));
    }
    expect(seen.map((file) => file.id).sort()).to.deep.equal([world.bFolder.id, world.bFile.id].sort());
    // Bracketed keys are not parsed into operators: this is a plain listing of B's root.
    const injected = await api('GET', `/files?parentId[$ne]=0&userId=${world.a.id}`, { token: world.b.token });
    seen.push(...(injected.body as PublicFileBody[]));
    expect(seen.every((file) => file.userId === world.b.id)).to.be.true;
  });

  it('a userId in a request body never makes a file belong to someone else', async () => {
    const world = await arrange();
    const created = await upload(world.b.token, { name: 'claim.txt', type: 'file', data: base64('x'), userId: world.a.id });
    expect(created.userId).to.equal(world.b.id);
    const patched = await api('PATCH', `/files/${world.bFile.id}`, { token: world.b.token, json: { userId: world.a.id, name: 'renamed' } });
    expectError(patched, 400, 'Unknown fields: userId');
    const owners = await dbClient.files.distinct('userId', { _id: { $in: [new ObjectId(created.id), new ObjectId(world.bFile.id)] } });
    expect(owners.map((owner) => String(owner))).to.deep.equal([world.b.id]);
    expect((await api('GET', `/files/${created.id}`, { token: world.a.token })).status).to.equal(404);
  });

  it("B can read A's public file but not change it, which shows the 404s above come from ownership", async () => {
    const world = await arrange();
    const data = await api('GET', `/files/${world.shared.id}/data`, { token: world.b.token });
    expect(data.status).to.equal(200);
    expect(data.text).to.equal('for all');
    expect((await api('GET', `/files/${world.shared.id}`, { token: world.b.token })).status).to.equal(404);
  });
});
