import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { dbClient, type FileDoc } from '../../utils/db';
import { checkStore, LOST_AND_FOUND } from '../../utils/files/upkeep/fsck';
import { recountUsage } from '../../utils/users/quota';
import { blobFields, byteStore } from '../../utils/storage/stores';
import { api, type ApiResponse, base64, blobExists, createUser, expectError, findDoc, type PublicFileBody, type TestUser, upload, withConfig, writeBlob } from '../support';

const PARALLEL = 100;
const ROUNDS = 5;

function expectNo5xx(responses: readonly ApiResponse[]): void {
  const failed = responses.filter((response) => response.status >= 500);
  expect(failed.map((response) => `${response.status} ${response.text}`)).to.deep.equal([]);
}

/** Every document of `owner` whose parent is not an existing folder of theirs. */
async function orphansOf(owner: string): Promise<FileDoc[]> {
  const docs = await dbClient.files.find({ userId: new ObjectId(owner) }).toArray();
  const folders = new Set(docs.filter((doc) => doc.type === 'folder').map((doc) => doc._id.toHexString()));
  return docs.filter((doc) => doc.parentId !== 0 && doc.parentId !== '0' && !folders.has(String(doc.parentId)));
}

async function expectWholeTree(user: TestUser): Promise<void> {
  const report = await checkStore({ owner: new ObjectId(user.id) });
  expect({ orphans: report.orphans, cycles: report.cycles, unreachable: report.unreachable }).to.deep.equal({
    orphans: { count: 0, examples: [] },
    cycles: { count: 0, examples: [] },
    unreachable: { count: 0, examples: [] },
  });
  expect(await orphansOf(user.id)).to.deep.equal([]);
}

describe('the tree under concurrency', function () {
  this.timeout(120_000);
  this.slow(20_000);

  it(`never lets two folders become each other's parent: ${PARALLEL} parallel moves each way, ${ROUNDS} rounds`, async () => {
    const user = await createUser();
    const x = await upload(user.token, { name: 'X', type: 'folder' });
    const y = await upload(user.token, { name: 'Y', type: 'folder' });
    for (let round = 0; round < ROUNDS; round += 1) {
      const moves = Array.from({ length: PARALLEL }, (_, i) =>
        i % 2 === 0
          ? api('PATCH', `/files/${x.id}`, { token: user.token, json: { parentId: y.id } })
          : api('PATCH', `/files/${y.id}`, { token: user.token, json: { parentId: x.id } }),
      );
      const answers = await Promise.all(moves);
      expectNo5xx(answers);
      for (const answer of answers) {
        if (answer.status !== 200) expect(answer.body, answer.text).to.deep.equal({ error: 'Cannot move a folder into itself' });
      }
      const [xDoc, yDoc] = [await findDoc(x.id), await findDoc(y.id)];
      const cycle = String(xDoc?.parentId) === y.id && String(yDoc?.parentId) === x.id;
      expect(cycle, `round ${round}: X and Y are each other's parent`).to.equal(false);
      await expectWholeTree(user);
      for (const folder of [x, y]) expect((await api('PATCH', `/files/${folder.id}`, { token: user.token, json: { parentId: 0 } })).status).to.equal(200);
    }
  });

  it(`leaves no orphan when ${PARALLEL} uploads race the delete of their folder, ${ROUNDS} rounds`, async () => {
    const user = await createUser();
    for (let round = 0; round < ROUNDS; round += 1) {
      const folder = await upload(user.token, { name: `target-${round}`, type: 'folder' });
      const inner = await upload(user.token, { name: 'inner', type: 'folder', parentId: folder.id });
      let answered = 0;
      const uploads = Array.from({ length: PARALLEL }, (_, i) =>
        api('POST', '/files', { token: user.token, json: { name: `f${i}.txt`, type: 'file', data: base64(randomBytes(64 * 1024)), parentId: i % 2 === 0 ? folder.id : inner.id } }).finally(() => {
          answered += 1;
        }),
      );
      // The delete starts once some uploads are done and the rest are in flight.
      while (answered < PARALLEL / 10) await new Promise((resolve) => setTimeout(resolve, 1));
      // For good: the trash's own race is in tests/integration/trash.test.ts.
      const deleted = await withConfig({ trashRetentionDays: 0 }, () => api('DELETE', `/files/${folder.id}`, { token: user.token }));
      const answers = await Promise.all(uploads);
      expect(deleted.status, deleted.text).to.equal(204);
      expectNo5xx(answers);
      for (const answer of answers) {
        if (answer.status !== 201) expectError(answer, 400, 'Parent not found');
      }
      expect(await findDoc(folder.id)).to.equal(null);
      await expectWholeTree(user);
    }
    const left = await dbClient.files.countDocuments({ userId: new ObjectId(user.id) });
    expect(left, 'every upload went with its folder, or was refused').to.equal(0);
  });

  it('answers uploads and moves into a folder whose delete has begun with 400 "Parent not found"', async () => {
    const user = await createUser();
    const folder = await upload(user.token, { name: 'going', type: 'folder' });
    const file = await upload(user.token, { name: 'f.txt', type: 'file', data: base64('x') });
    await dbClient.files.updateOne({ _id: new ObjectId(folder.id) }, { $set: { deleting: true } });
    expectError(await api('POST', '/files', { token: user.token, json: { name: 'g.txt', type: 'file', data: base64('x'), parentId: folder.id } }), 400, 'Parent not found');
    expectError(await api('PATCH', `/files/${file.id}`, { token: user.token, json: { parentId: folder.id } }), 400, 'Parent not found');
    // Finishing the delete is what a retry does.
    expect((await api('DELETE', `/files/${folder.id}`, { token: user.token })).status).to.equal(204);
  });
});

describe('npm run fsck (checkStore)', () => {
  it('finds orphans, cycles, what lies below them, missing bytes and interrupted deletes, and repairs into lost+found without deleting anything', async () => {
    const user = await createUser();
    const owner = new ObjectId(user.id);
    const top = await upload(user.token, { name: 'top', type: 'folder' });
    const orphan = await dbClient.files.insertOne({ _id: new ObjectId(), userId: owner, name: 'lost', type: 'folder', parentId: new ObjectId() });
    const belowOrphan = await upload(user.token, { name: 'under-orphan.txt', type: 'file', data: base64('u') }).then(async (file) => {
      await dbClient.files.updateOne({ _id: new ObjectId(file.id) }, { $set: { parentId: orphan.insertedId } });
      return file;
    });
    const [a, b] = [new ObjectId(), new ObjectId()];
    await dbClient.files.insertMany([
      { _id: a, userId: owner, name: 'A', type: 'folder', parentId: b },
      { _id: b, userId: owner, name: 'B', type: 'folder', parentId: a },
    ] as FileDoc[]);
    const noBytes = await dbClient.files.insertOne({
      _id: new ObjectId(),
      userId: owner,
      name: 'gone.txt',
      type: 'file',
      parentId: new ObjectId(top.id),
      ...blobFields({ store: byteStore(), key: byteStore().newKey() }),
    });
    await dbClient.files.updateOne({ _id: new ObjectId(top.id) }, { $set: { deleting: true } });

    const found = await checkStore({ owner });
    expect(found.orphans.examples).to.deep.equal([orphan.insertedId.toHexString()]);
    expect(found.cycles.examples).to.have.members([a.toHexString(), b.toHexString()]);
    expect(found.unreachable.examples).to.deep.equal([belowOrphan.id]);
    expect(found.missingBytes.examples).to.deep.equal([noBytes.insertedId.toHexString()]);
    expect(found.interruptedDeletes.examples).to.deep.equal([top.id]);

    const repaired = await checkStore({ owner, repair: true });
    // The file inserted behind the service's back was never counted in its owner's usage.
    expect(repaired.repaired).to.deep.equal({ movedToLostAndFound: 2, restoredFolders: 1, removedBytes: 0, trashMarks: 0, usageCounters: 1 });
    const lostAndFound = (await api('GET', '/files', { token: user.token })).body as PublicFileBody[];
    const rescued = lostAndFound.find((entry) => entry.name === LOST_AND_FOUND);
    expect(rescued, 'a lost+found folder at the root').to.not.equal(undefined);
    const inside = (await api('GET', `/files?parentId=${rescued?.id ?? ''}`, { token: user.token })).body as PublicFileBody[];
    expect(inside.map((entry) => entry.name)).to.have.length(2).and.include('lost');

    await dbClient.files.deleteOne({ _id: noBytes.insertedId });
    await recountUsage(owner);
    const after = await checkStore({ owner });
    expect([after.orphans.count, after.cycles.count, after.unreachable.count, after.missingBytes.count, after.interruptedDeletes.count]).to.deep.equal([0, 0, 0, 0, 0]);
    // Six documents made above, lost+found added, the one without bytes removed by hand: the repair deleted nothing.
    expect(await dbClient.files.countDocuments({ userId: owner })).to.equal(6);
  });

  it('leaves bytes no document references alone while they are young, and removes them once old enough', async () => {
    const stray = { store: byteStore(), key: `stray-${randomBytes(6).toString('hex')}` };
    await writeBlob(stray, 'stray');
    const name = `${stray.store.driver}:${stray.key}`;
    const young = await checkStore({ repair: true });
    expect(young.unreferencedBytes.examples).not.to.include(name);
    expect(young.youngUnreferencedBytes).to.be.at.least(1);
    expect(await blobExists(stray)).to.equal(true);
    // An hour is the default; "old enough" is shortened here rather than waited for.
    const old = await checkStore({ repair: true, unreferencedMinAgeMs: 0 });
    expect(old.unreferencedBytes.count).to.be.at.least(1);
    expect(await blobExists(stray)).to.equal(false);
  });
});
