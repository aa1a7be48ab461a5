import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { dbClient } from '../../utils/db';
import { purgeDueTrash } from '../../utils/files/trash';
import { checkStore } from '../../utils/files/upkeep/fsck';
import { makeThumbnails } from '../../utils/jobs/thumbnails';
import { THUMBNAIL_WIDTHS } from '../../utils/storage/byteStore';
import type { components } from '../../web/src/generated/openapi';
import {
  api,
  base64,
  blobExists,
  blobOfFile,
  createUser,
  download,
  expectError,
  makeImage,
  type PublicFileBody,
  PUBLIC_FILE_KEYS,
  type TestUser,
  upload,
  withConfig,
} from '../support';

type TrashedFileBody = components['schemas']['TrashedFile'];
type UsageBody = components['schemas']['Usage'];

const DAY_MS = 86_400_000;

function fileIn(user: TestUser, name: string, content: string, parentId?: string, isPublic = false): Promise<PublicFileBody> {
  return upload(user.token, { name, type: 'file', data: base64(content), isPublic, ...(parentId === undefined ? {} : { parentId }) });
}

function folderIn(user: TestUser, name: string, parentId?: string): Promise<PublicFileBody> {
  return upload(user.token, { name, type: 'folder', ...(parentId === undefined ? {} : { parentId }) });
}

async function remove(user: TestUser, id: string): Promise<void> {
  const answer = await api('DELETE', `/files/${id}`, { token: user.token });
  expect(answer.status, answer.text).to.equal(204);
}

async function trashOf(user: TestUser, page?: number): Promise<TrashedFileBody[]> {
  const answer = await api('GET', `/trash${page === undefined ? '' : `?page=${page}`}`, { token: user.token });
  expect(answer.status, answer.text).to.equal(200);
  return answer.body as TrashedFileBody[];
}

async function restore(user: TestUser, id: string): Promise<PublicFileBody> {
  const answer = await api('POST', `/trash/${id}/restore`, { token: user.token });
  expect(answer.status, answer.text).to.equal(200);
  return answer.body as PublicFileBody;
}

async function usageOf(user: TestUser): Promise<UsageBody> {
  const answer = await api('GET', '/users/me/usage', { token: user.token });
  expect(answer.status, answer.text).to.equal(200);
  return answer.body as UsageBody;
}

async function listed(user: TestUser, parentId?: string): Promise<string[]> {
  const answer = await api('GET', `/files${parentId === undefined ? '' : `?parentId=${parentId}`}`, { token: user.token });
  return (answer.body as PublicFileBody[]).map((file) => file.name);
}

/** fsck's findings of this user's tree that concern the trash and the counters. */
async function trashFindings(user: TestUser): Promise<number[]> {
  const report = await checkStore({ owner: new ObjectId(user.id) });
  return [report.orphans.count, report.trashMismatches.count, report.usageDrift.count];
}

describe('the trash', () => {
  it('takes a folder with everything under it: gone from every reader, as if deleted', async () => {
    const user = await createUser();
    const folder = await folderIn(user, 'Holidays');
    const inner = await folderIn(user, 'Beach', folder.id);
    const file = await fileIn(user, 'note.txt', 'sun', inner.id, true);
    const link = await api('POST', `/files/${file.id}/links`, { token: user.token, json: {} });
    const signed = await api('POST', `/files/${file.id}/url`, { token: user.token, json: {} });
    expect([link.status, signed.status]).to.deep.equal([201, 200]);

    await remove(user, folder.id);

    for (const id of [folder.id, inner.id, file.id]) expectError(await api('GET', `/files/${id}`, { token: user.token }), 404, 'Not found');
    expect(await listed(user)).to.deep.equal([]);
    expectError(await download(file.id), 404, 'Not found');
    expectError(await download(file.id, { token: user.token }), 404, 'Not found');
    const signedUrl = new URL((signed.body as { url: string }).url);
    expectError(await api('GET', `${signedUrl.pathname}${signedUrl.search}`), 404, 'Not found');
    expectError(await api('GET', new URL((link.body as { url: string }).url).pathname), 404, 'Not found');
    expectError(await api('POST', '/files', { token: user.token, json: { name: 'x', type: 'folder', parentId: inner.id } }), 400, 'Parent not found');
    expectError(await api('PATCH', `/files/${file.id}`, { token: user.token, json: { name: 'y' } }), 404, 'Not found');
    expectError(await api('DELETE', `/files/${inner.id}`, { token: user.token }), 404, 'Not found');
    expectError(await api('POST', `/files/${file.id}/links`, { token: user.token, json: {} }), 404, 'Not found');
  });

  it('lists what was deleted directly, newest first, as the public shape with trashedAt and purgeAt', async () => {
    const user = await createUser();
    const folder = await folderIn(user, 'a');
    await fileIn(user, 'under.txt', 'x', folder.id);
    const file = await fileIn(user, 'b.txt', 'y');
    const before = Date.now();
    await remove(user, folder.id);
    await remove(user, file.id);
    const trash = await trashOf(user);
    expect(trash.map((item) => item.name)).to.deep.equal(['b.txt', 'a']);
    const [first] = trash;
    expect(Object.keys(first ?? {}).sort()).to.deep.equal([...PUBLIC_FILE_KEYS, 'purgeAt', 'trashedAt'].sort());
    expect(first).to.include({ id: file.id, userId: user.id, type: 'file', isPublic: false, parentId: 0 });
    const trashedAt = Date.parse(first?.trashedAt ?? '');
    expect(trashedAt).to.be.within(before - 1000, Date.now() + 1000);
    expect(Date.parse(first?.purgeAt ?? '') - trashedAt).to.equal(30 * DAY_MS);
  });

  it('pages the trash 20 at a time and keeps it to its owner', async () => {
    const user = await createUser();
    const stranger = await createUser();
    const files = [];
    for (let index = 0; index < 23; index += 1) files.push(await fileIn(user, `f${index}`, String(index)));
    for (const file of files) await remove(user, file.id);
    const [first, second, third] = [await trashOf(user, 0), await trashOf(user, 1), await trashOf(user, 2)];
    expect([first.length, second.length, third.length]).to.deep.equal([20, 3, 0]);
    expect([...first, ...second].map((item) => item.name)).to.deep.equal(files.map((file) => file.name).reverse());
    expect(await trashOf(stranger)).to.deep.equal([]);
    expectError(await api('POST', `/trash/${files[0]?.id ?? ''}/restore`, { token: stranger.token }), 404, 'Not found');
    expectError(await api('DELETE', `/trash/${files[0]?.id ?? ''}`, { token: stranger.token }), 404, 'Not found');
    expectError(await api('GET', '/trash'), 401, 'Unauthorized');
  });

  it('restores an item where it was, with everything that went with it; its links and public reads work again', async () => {
    const user = await createUser();
    const parent = await folderIn(user, 'parent');
    const folder = await folderIn(user, 'folder', parent.id);
    const file = await fileIn(user, 'kept.txt', 'kept', folder.id, true);
    const link = await api('POST', `/files/${folder.id}/links`, { token: user.token, json: {} });
    await remove(user, folder.id);
    const restored = await restore(user, folder.id);
    expect(restored).to.deep.equal({ ...folder, parentId: parent.id });
    expect(await listed(user, parent.id)).to.deep.equal(['folder']);
    expect(await listed(user, folder.id)).to.deep.equal(['kept.txt']);
    expect((await download(file.id)).text).to.equal('kept');
    const shared = await api('GET', `${new URL((link.body as { url: string }).url).pathname}`);
    expect(shared.status, shared.text).to.equal(200);
    expect(await trashOf(user)).to.deep.equal([]);
    expectError(await api('POST', `/trash/${folder.id}/restore`, { token: user.token }), 404, 'Not found');
    expect(await trashFindings(user)).to.deep.equal([0, 0, 0]);
  });

  it('restores to the root when the old folder is in the trash or gone, and keeps what was trashed on its own', async () => {
    const user = await createUser();
    const outer = await folderIn(user, 'outer');
    const early = await fileIn(user, 'early.txt', 'e', outer.id);
    const late = await fileIn(user, 'late.txt', 'l', outer.id);
    // early goes first, on its own; then outer takes late with it, but not early.
    await remove(user, early.id);
    await remove(user, outer.id);
    expect((await trashOf(user)).map((item) => item.name)).to.deep.equal(['outer', 'early.txt']);
    expect((await restore(user, early.id)).parentId).to.equal(0);
    await remove(user, early.id);
    // outer is gone for good: late with it, early not.
    expect((await api('DELETE', `/trash/${outer.id}`, { token: user.token })).status).to.equal(204);
    expectError(await api('POST', `/trash/${late.id}/restore`, { token: user.token }), 404, 'Not found');
    expect((await restore(user, early.id)).parentId).to.equal(0);
    expect(await listed(user)).to.deep.equal(['early.txt']);
    expect(await dbClient.files.countDocuments({ _id: new ObjectId(late.id) })).to.equal(0);
    expect(await trashFindings(user)).to.deep.equal([0, 0, 0]);
  });

  it('answers 404 for what is not an item of the trash: a live file, something under a trashed folder, a malformed id', async () => {
    const user = await createUser();
    const folder = await folderIn(user, 'f');
    const inside = await fileIn(user, 'in.txt', 'i', folder.id);
    const live = await fileIn(user, 'live.txt', 'l');
    await remove(user, folder.id);
    for (const id of [live.id, inside.id, 'nope']) {
      expectError(await api('POST', `/trash/${id}/restore`, { token: user.token }), 404, 'Not found');
      expectError(await api('DELETE', `/trash/${id}`, { token: user.token }), 404, 'Not found');
    }
  });

  it('deletes for good: documents, bytes, thumbnails and links; DELETE /trash empties it and leaves others’ alone', async () => {
    const user = await createUser();
    const other = await createUser();
    const folder = await folderIn(user, 'pics');
    const image = await upload(user.token, { name: 'p.png', type: 'image', parentId: folder.id, data: base64(await makeImage(600, 400)) });
    await makeThumbnails(await blobOfFile(image.id));
    const blobs = [await blobOfFile(image.id), ...(await Promise.all(THUMBNAIL_WIDTHS.map((width) => blobOfFile(image.id, width))))];
    await api('POST', `/files/${image.id}/links`, { token: user.token, json: {} });
    const loose = await fileIn(user, 'loose.txt', 'x');
    const kept = await fileIn(other, 'theirs.txt', 'y');
    await remove(user, folder.id);
    await remove(user, loose.id);
    await remove(other, kept.id);
    for (const blob of blobs) expect(await blobExists(blob), 'kept while in the trash').to.equal(true);

    expect((await api('DELETE', '/trash', { token: user.token })).status).to.equal(204);
    expect(await trashOf(user)).to.deep.equal([]);
    for (const blob of blobs) expect(await blobExists(blob), blob.key).to.equal(false);
    expect(await dbClient.files.countDocuments({ userId: new ObjectId(user.id) })).to.equal(0);
    expect(await dbClient.links.countDocuments({ userId: new ObjectId(user.id) })).to.equal(0);
    expect((await trashOf(other)).map((item) => item.name)).to.deep.equal(['theirs.txt']);
    expect(await usageOf(user)).to.deep.equal({ used: 0, quota: null, trash: 0, files: 0 });
  });

  it('deletes at once, as before, when TRASH_RETENTION_DAYS is 0', async () => {
    const user = await createUser();
    const file = await fileIn(user, 'gone.txt', 'g');
    const blob = await blobOfFile(file.id);
    await withConfig({ trashRetentionDays: 0 }, () => remove(user, file.id));
    expect(await trashOf(user)).to.deep.equal([]);
    expect(await dbClient.files.countDocuments({ _id: new ObjectId(file.id) })).to.equal(0);
    expect(await blobExists(blob)).to.equal(false);
    expect(await usageOf(user)).to.include({ used: 0, files: 0 });
  });

  it('purges what is past its retention (the worker’s job), nothing younger, and what a folder took but not what went on its own', async () => {
    const user = await createUser();
    const folder = await folderIn(user, 'old');
    const under = await fileIn(user, 'under.txt', 'u', folder.id);
    const alone = await fileIn(user, 'alone.txt', 'a', folder.id);
    const young = await fileIn(user, 'young.txt', 'y');
    await remove(user, alone.id);
    await withConfig({ trashRetentionDays: 0.5 }, () => remove(user, folder.id));
    await remove(user, young.id);
    const underBlob = await blobOfFile(under.id);

    // Twelve hours on: the folder (half a day) is due; the others (30 days) are not.
    await purgeDueTrash(new Date(Date.now() + 13 * 3_600_000));
    expect((await trashOf(user)).map((item) => item.name).sort()).to.deep.equal(['alone.txt', 'young.txt']);
    expect(await dbClient.files.countDocuments({ _id: { $in: [new ObjectId(folder.id), new ObjectId(under.id)] } })).to.equal(0);
    expect(await blobExists(underBlob)).to.equal(false);
    expect((await restore(user, alone.id)).parentId).to.equal(0);
    expect(await usageOf(user)).to.deep.equal({ used: 2, quota: null, trash: 1, files: 2 });
    expect(await trashFindings(user)).to.deep.equal([0, 0, 0]);
  });

  it('counts the trash in the usage: a delete frees nothing, a restore gives back, a purge frees', async () => {
    const user = await createUser();
    const folder = await folderIn(user, 'f');
    await fileIn(user, 'a.txt', '12345', folder.id);
    await fileIn(user, 'b.txt', '123', folder.id);
    expect(await usageOf(user)).to.deep.equal({ used: 8, quota: null, trash: 0, files: 2 });
    await remove(user, folder.id);
    expect(await usageOf(user)).to.deep.equal({ used: 8, quota: null, trash: 8, files: 2 });
    await restore(user, folder.id);
    expect(await usageOf(user)).to.deep.equal({ used: 8, quota: null, trash: 0, files: 2 });
    await remove(user, folder.id);
    await api('DELETE', `/trash/${folder.id}`, { token: user.token });
    expect(await usageOf(user)).to.deep.equal({ used: 0, quota: null, trash: 0, files: 0 });
  });

  it('keeps /stats counting every document of files, the trash’s included', async () => {
    const user = await createUser();
    const file = await fileIn(user, 'counted.txt', 'c');
    const before = ((await api('GET', '/stats')).body as { files: number }).files;
    await remove(user, file.id);
    expect(((await api('GET', '/stats')).body as { files: number }).files).to.equal(before);
  });

  it('leaves no live file under a trashed folder when uploads race the trash, and no marks astray when restores race renames', async () => {
    const user = await createUser();
    for (let round = 0; round < 3; round += 1) {
      const folder = await folderIn(user, `race-${round}`);
      const sub = await folderIn(user, 'sub', folder.id);
      const uploads = Array.from({ length: 12 }, (_, index) =>
        api('POST', '/files', { token: user.token, json: { name: `u${index}`, type: 'file', data: base64('x'), parentId: index % 2 === 0 ? folder.id : sub.id } }),
      );
      const [trashed, ...answers] = await Promise.all([api('DELETE', `/files/${folder.id}`, { token: user.token }), ...uploads]);
      expect(trashed.status, trashed.text).to.equal(204);
      for (const answer of answers) expect([201, 400], answer.text).to.include(answer.status);
      const renames = Array.from({ length: 6 }, (_, index) => api('PATCH', `/files/${sub.id}`, { token: user.token, json: { name: `s${index}` } }));
      const [restored] = await Promise.all([api('POST', `/trash/${folder.id}/restore`, { token: user.token }), ...renames]);
      expect(restored.status, restored.text).to.equal(200);
      const created = answers.filter((answer) => answer.status === 201).length;
      expect((await listed(user, folder.id)).length + (await listed(user, sub.id)).length).to.equal(created + 1);
    }
    expect(await trashFindings(user)).to.deep.equal([0, 0, 0]);
  });
});

describe('npm run fsck and the trash', () => {
  it('finds a live folder under a trashed one (its files in plain sight) and a file marked astray, and gives each its folder’s state', async () => {
    const user = await createUser();
    const owner = new ObjectId(user.id);
    const trashed = await folderIn(user, 'trashed');
    const straggler = await folderIn(user, 'straggler', trashed.id);
    const inside = await fileIn(user, 'inside.txt', 's', straggler.id);
    const live = await folderIn(user, 'live');
    const hidden = await fileIn(user, 'hidden.txt', 'h', live.id);
    await remove(user, trashed.id);
    // What a trash and a restore that died midway leave behind.
    await dbClient.files.updateOne({ _id: new ObjectId(straggler.id) }, { $unset: { trashedBy: '' } });
    await dbClient.files.updateOne({ _id: new ObjectId(hidden.id) }, { $set: { trashedBy: new ObjectId(trashed.id) } });
    expect((await api('GET', `/files/${inside.id}`, { token: user.token })).status, 'a live file under a trashed folder').to.equal(200);

    const found = await checkStore({ owner });
    expect(found.trashMismatches.examples.sort()).to.deep.equal([straggler.id, hidden.id].sort());
    const repaired = await checkStore({ owner, repair: true });
    expect(repaired.repaired.trashMarks).to.equal(2);
    expectError(await api('GET', `/files/${inside.id}`, { token: user.token }), 404, 'Not found');
    expect(await listed(user, live.id)).to.deep.equal(['hidden.txt']);
    expect((await restore(user, trashed.id)).id).to.equal(trashed.id);
    expect(await listed(user, straggler.id)).to.deep.equal(['inside.txt']);
    expect(await trashFindings(user)).to.deep.equal([0, 0, 0]);
  });

  it('reports the usage counters’ drift from the real sum, and recounts them with --repair', async () => {
    const user = await createUser();
    const owner = new ObjectId(user.id);
    await fileIn(user, 'a.txt', 'abcd');
    await dbClient.usage.updateOne({ _id: owner }, { $inc: { stored: 1000, files: 3, trash: 5 } });
    const found = await checkStore({ owner });
    expect(found.usageDrift.examples).to.deep.equal([user.id]);
    await checkStore({ owner, repair: true });
    expect(await usageOf(user)).to.deep.equal({ used: 4, quota: null, trash: 0, files: 1 });
    expect((await checkStore({ owner })).usageDrift.count).to.equal(0);
  });
});
