import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import sharp from 'sharp';
import { config, type Config, useConfig } from '../../utils/config';
import { dbClient, type FileDoc } from '../../utils/db';
import { recountUsage } from '../../utils/users/quota';
import { THUMBNAIL_WIDTHS } from '../../utils/storage/byteStore';
import { blobFields, byteStore, type Blob } from '../../utils/storage/stores';
import { makeThumbnails } from '../../utils/jobs/thumbnails';
import { api, base64, withConfig, blobExists, blobOfFile, createUser, findDoc, type PublicFileBody, upload, writeBlob } from '../support';

/** The original and its three thumbnails, as made by the worker. */
async function uploadImageWithThumbnails(token: string, fields: Record<string, unknown> = {}): Promise<{ file: PublicFileBody; blobs: Blob[] }> {
  const png = await sharp({ create: { width: 600, height: 400, channels: 3, background: '#3060c0' } }).png().toBuffer();
  const file = await upload(token, { name: 'photo.png', type: 'image', data: base64(png), ...fields });
  await makeThumbnails(await blobOfFile(file.id));
  const blobs = [await blobOfFile(file.id), ...(await Promise.all(THUMBNAIL_WIDTHS.map((width) => blobOfFile(file.id, width))))];
  for (const blob of blobs) expect(await blobExists(blob), blob.key).to.equal(true);
  return { file, blobs };
}

/** The keys of those of `blobs` still stored. */
async function stillStored(blobs: readonly Blob[]): Promise<string[]> {
  const present: boolean[] = [];
  // A few at a time: thousands of requests at once would queue past the store's connect timeout.
  for (let start = 0; start < blobs.length; start += 32) present.push(...(await Promise.all(blobs.slice(start, start + 32).map(blobExists))));
  return blobs.filter((_, index) => present[index]).map((blob) => blob.key);
}

interface BigTree {
  root: PublicFileBody;
  /** The chain of folders under root, outermost first. */
  chain: ObjectId[];
  files: ObjectId[];
  blobs: Blob[];
}

const CHAIN_DEPTH = 12;
const FILES_PER_FOLDER = 250;

/**
 * A folder (made through the API) above a chain of CHAIN_DEPTH folders, each holding
 * FILES_PER_FOLDER files with real bytes: a few thousand descendants, inserted directly.
 * Every other level stores its parentId as a hex string, as imported data may.
 */
async function insertBigTree(token: string, userId: string): Promise<BigTree> {
  const owner = new ObjectId(userId);
  const root = await upload(token, { name: 'big', type: 'folder' });
  const chain: ObjectId[] = [];
  const files: ObjectId[] = [];
  const blobs: Blob[] = [];
  const docs: FileDoc[] = [];
  let parent = new ObjectId(root.id);
  for (let depth = 0; depth < CHAIN_DEPTH; depth += 1) {
    const storedParent = depth % 2 === 0 ? parent : parent.toHexString();
    const folder = new ObjectId();
    docs.push({ _id: folder, userId: owner, name: `level-${depth}`, type: 'folder', isPublic: false, parentId: storedParent });
    for (let index = 0; index < FILES_PER_FOLDER; index += 1) {
      const id = new ObjectId();
      const blob = { store: byteStore(), key: byteStore().newKey() };
      docs.push({ _id: id, userId: owner, name: `f-${index}.txt`, type: 'file', isPublic: false, parentId: storedParent, ...blobFields(blob) });
      files.push(id);
      blobs.push(blob);
    }
    chain.push(folder);
    parent = folder;
  }
  await dbClient.files.insertMany(docs);
  // Inserted behind the service's back: its owner's usage is counted again from the documents.
  await recountUsage(owner);
  for (let start = 0; start < blobs.length; start += 16) await Promise.all(blobs.slice(start, start + 16).map((blob) => writeBlob(blob, 'x')));
  return { root, chain, files, blobs };
}

/** The delete for good (TRASH_RETENTION_DAYS=0; tests/integration/trash.test.ts has the trash). */
describe('DELETE /files/:id', () => {
  let saved: Config;
  before(() => {
    saved = config();
    useConfig({ ...saved, trashRetentionDays: 0 });
  });
  after(() => useConfig(saved));

  it('deletes an owned file with its bytes and thumbnails, answers 204, and 404 the second time', async () => {
    const user = await createUser();
    const { file, blobs } = await uploadImageWithThumbnails(user.token);
    const response = await api('DELETE', `/files/${file.id}`, { token: user.token });
    expect(response.status).to.equal(204);
    expect(response.text).to.equal('');
    expect(await findDoc(file.id)).to.equal(null);
    expect(await stillStored(blobs)).to.deep.equal([]);
    const again = await api('DELETE', `/files/${file.id}`, { token: user.token });
    expect(again.status).to.equal(404);
    expect(again.body).to.deep.equal({ error: 'Not found' });
    expect((await api('GET', `/files/${file.id}`, { token: user.token })).status).to.equal(404);
  });

  it('answers 404 "Not found" to another user and 401 without a token, and deletes nothing', async () => {
    const owner = await createUser();
    const other = await createUser();
    const file = await upload(owner.token, { name: 'mine.txt', type: 'file', data: base64('mine'), isPublic: true });
    const blob = await blobOfFile(file.id);
    const foreign = await api('DELETE', `/files/${file.id}`, { token: other.token });
    expect(foreign.status).to.equal(404);
    expect(foreign.body).to.deep.equal({ error: 'Not found' });
    const anonymous = await api('DELETE', `/files/${file.id}`);
    expect(anonymous.status).to.equal(401);
    expect(anonymous.body).to.deep.equal({ error: 'Unauthorized' });
    expect(await findDoc(file.id)).to.not.equal(null);
    expect(await blobExists(blob)).to.equal(true);
  });

  it('answers 404 for an id that is malformed or never existed', async () => {
    const user = await createUser();
    for (const id of ['nope', new ObjectId().toHexString()]) {
      const response = await api('DELETE', `/files/${id}`, { token: user.token });
      expect(response.status, id).to.equal(404);
      expect(response.body).to.deep.equal({ error: 'Not found' });
    }
  });

  it('deletes a folder with every descendant, their bytes and thumbnails, and nothing beside it', async () => {
    const user = await createUser();
    const top = await upload(user.token, { name: 'top', type: 'folder' });
    const inner = await upload(user.token, { name: 'inner', type: 'folder', parentId: top.id });
    const text = await upload(user.token, { name: 'a.txt', type: 'file', data: base64('a'), parentId: top.id });
    const image = await uploadImageWithThumbnails(user.token, { parentId: inner.id });
    const sibling = await upload(user.token, { name: 'keep.txt', type: 'file', data: base64('keep') });
    const doomed = [await blobOfFile(text.id), ...image.blobs];

    const response = await api('DELETE', `/files/${top.id}`, { token: user.token });
    expect(response.status).to.equal(204);
    for (const id of [top.id, inner.id, text.id, image.file.id]) expect(await findDoc(id), id).to.equal(null);
    expect(await stillStored(doomed)).to.deep.equal([]);
    expect(await findDoc(sibling.id)).to.not.equal(null);
    expect(await blobExists(await blobOfFile(sibling.id))).to.equal(true);
  });

  it('deletes a folder with a few thousand descendants inserted directly, documents and bytes', async function () {
    this.timeout(60_000);
    const user = await createUser();
    const tree = await insertBigTree(user.token, user.id);
    const outside = await upload(user.token, { name: 'outside.txt', type: 'file', data: base64('o') });
    const response = await api('DELETE', `/files/${tree.root.id}`, { token: user.token });
    expect(response.status).to.equal(204);
    expect(await dbClient.files.countDocuments({ userId: new ObjectId(user.id) })).to.equal(1);
    expect(await findDoc(outside.id)).to.not.equal(null);
    expect(await stillStored(tree.blobs)).to.deep.equal([]);
  });
});

describe('PATCH /files/:id', () => {
  it('renames a file and answers 200 with the six-field document', async () => {
    const user = await createUser();
    const file = await upload(user.token, { name: 'old.txt', type: 'file', data: base64('x') });
    const response = await api('PATCH', `/files/${file.id}`, { token: user.token, json: { name: 'new name ✓.txt' } });
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal({ ...file, name: 'new name ✓.txt' });
    expect((await findDoc(file.id))?.name).to.equal('new name ✓.txt');
  });

  it('publishes and unpublishes with isPublic', async () => {
    const user = await createUser();
    const file = await upload(user.token, { name: 'p.txt', type: 'file', data: base64('x') });
    const published = await api('PATCH', `/files/${file.id}`, { token: user.token, json: { isPublic: true } });
    expect(published.body).to.deep.equal({ ...file, isPublic: true });
    expect((await findDoc(file.id))?.isPublic).to.equal(true);
    expect((await api('GET', `/files/${file.id}/data`)).text).to.equal('x');
    const hidden = await api('PATCH', `/files/${file.id}`, { token: user.token, json: { isPublic: false } });
    expect(hidden.body).to.deep.equal({ ...file, isPublic: false });
    expect((await api('GET', `/files/${file.id}/data`)).status).to.equal(404);
  });

  it('moves a file into a folder and back to the root, and listings follow', async () => {
    const user = await createUser();
    const folder = await upload(user.token, { name: 'dest', type: 'folder' });
    const file = await upload(user.token, { name: 'm.txt', type: 'file', data: base64('x') });
    const moved = await api('PATCH', `/files/${file.id}`, { token: user.token, json: { parentId: folder.id } });
    expect(moved.status).to.equal(200);
    expect(moved.body).to.deep.equal({ ...file, parentId: folder.id });
    const inside = await api('GET', `/files?parentId=${folder.id}`, { token: user.token });
    expect((inside.body as PublicFileBody[]).map((entry) => entry.id)).to.deep.equal([file.id]);

    const back = await api('PATCH', `/files/${file.id}`, { token: user.token, json: { parentId: 0 } });
    expect(back.body).to.deep.equal({ ...file, parentId: 0 });
    expect((await findDoc(file.id))?.parentId).to.equal(0);
  });

  it('applies the upload rules to the new parent: 400 "Parent not found" and "Parent is not a folder"', async () => {
    const user = await createUser();
    const other = await createUser();
    const file = await upload(user.token, { name: 'f.txt', type: 'file', data: base64('x') });
    const plain = await upload(user.token, { name: 'plain.txt', type: 'file', data: base64('y') });
    const foreignFolder = await upload(other.token, { name: 'theirs', type: 'folder' });
    for (const parentId of [new ObjectId().toHexString(), 'bogus', foreignFolder.id]) {
      const response = await api('PATCH', `/files/${file.id}`, { token: user.token, json: { parentId } });
      expect(response.status, parentId).to.equal(400);
      expect(response.body).to.deep.equal({ error: 'Parent not found' });
    }
    const notFolder = await api('PATCH', `/files/${file.id}`, { token: user.token, json: { parentId: plain.id } });
    expect(notFolder.status).to.equal(400);
    expect(notFolder.body).to.deep.equal({ error: 'Parent is not a folder' });
    expect((await findDoc(file.id))?.parentId).to.equal(0);
  });

  it('rejects an empty name with 400 "Missing name" and changes nothing', async () => {
    const user = await createUser();
    const file = await upload(user.token, { name: 'keep.txt', type: 'file', data: base64('x') });
    const response = await api('PATCH', `/files/${file.id}`, { token: user.token, json: { name: '', isPublic: true } });
    expect(response.status).to.equal(400);
    expect(response.body).to.deep.equal({ error: 'Missing name' });
    expect(await findDoc(file.id)).to.include({ name: 'keep.txt', isPublic: false });
  });

  it('answers 404 "Not found" to another user and changes nothing', async () => {
    const owner = await createUser();
    const other = await createUser();
    const file = await upload(owner.token, { name: 'mine.txt', type: 'file', data: base64('x'), isPublic: true });
    const response = await api('PATCH', `/files/${file.id}`, { token: other.token, json: { name: 'stolen', isPublic: false } });
    expect(response.status).to.equal(404);
    expect(response.body).to.deep.equal({ error: 'Not found' });
    expect(await findDoc(file.id)).to.include({ name: 'mine.txt', isPublic: true });
  });

  it('rejects moving a folder into itself or any descendant with 400 "Cannot move a folder into itself"', async () => {
    const user = await createUser();
    const top = await upload(user.token, { name: 'top', type: 'folder' });
    const child = await upload(user.token, { name: 'child', type: 'folder', parentId: top.id });
    const grandchild = await upload(user.token, { name: 'grandchild', type: 'folder', parentId: child.id });
    for (const target of [top, child, grandchild]) {
      const response = await api('PATCH', `/files/${top.id}`, { token: user.token, json: { parentId: target.id } });
      expect(response.status, target.name).to.equal(400);
      expect(response.body).to.deep.equal({ error: 'Cannot move a folder into itself' });
    }
    expect((await findDoc(top.id))?.parentId).to.equal(0);
    // The reverse direction is an ordinary move.
    const up = await api('PATCH', `/files/${grandchild.id}`, { token: user.token, json: { parentId: top.id } });
    expect(up.body).to.deep.equal({ ...grandchild, parentId: top.id });
  });

  it('moves within a tree of a few thousand descendants inserted directly, and refuses its cycles', async function () {
    this.timeout(60_000);
    const user = await createUser();
    const tree = await insertBigTree(user.token, user.id);
    const deepest = tree.chain[CHAIN_DEPTH - 1] as ObjectId;
    const middle = tree.chain[CHAIN_DEPTH / 2] as ObjectId;

    const cycle = await api('PATCH', `/files/${tree.root.id}`, { token: user.token, json: { parentId: deepest.toHexString() } });
    expect(cycle.status).to.equal(400);
    expect(cycle.body).to.deep.equal({ error: 'Cannot move a folder into itself' });
    const midCycle = await api('PATCH', `/files/${middle.toHexString()}`, { token: user.token, json: { parentId: deepest.toHexString() } });
    expect(midCycle.body).to.deep.equal({ error: 'Cannot move a folder into itself' });

    const other = await upload(user.token, { name: 'elsewhere', type: 'folder' });
    const moved = await api('PATCH', `/files/${middle.toHexString()}`, { token: user.token, json: { parentId: other.id } });
    expect(moved.status).to.equal(200);
    expect((moved.body as PublicFileBody).parentId).to.equal(other.id);
    expect(String((await dbClient.files.findOne({ _id: deepest }))?.parentId)).to.equal(tree.chain[CHAIN_DEPTH - 2]?.toHexString());

    // Everything under the moved folder went with it: deleting its new parent takes exactly that.
    // Files at chain depth d sit beside chain[d], so the moved folder holds those from depth CHAIN_DEPTH / 2 + 1.
    const keptFiles = (CHAIN_DEPTH / 2 + 1) * FILES_PER_FOLDER;
    const gone = await withConfig({ trashRetentionDays: 0 }, () => api('DELETE', `/files/${other.id}`, { token: user.token }));
    expect(gone.status).to.equal(204);
    const keptFolders = 1 + CHAIN_DEPTH / 2;
    expect(await dbClient.files.countDocuments({ userId: new ObjectId(user.id) })).to.equal(keptFolders + keptFiles);
    expect(await stillStored(tree.blobs)).to.deep.equal(tree.blobs.slice(0, keptFiles).map((blob) => blob.key));
    // A move into a folder of the part that stayed is still a cycle for the root.
    const stillCycle = await api('PATCH', `/files/${tree.root.id}`, {
      token: user.token,
      json: { parentId: (tree.chain[CHAIN_DEPTH / 2 - 1] as ObjectId).toHexString() },
    });
    expect(stillCycle.body).to.deep.equal({ error: 'Cannot move a folder into itself' });
    expect((await withConfig({ trashRetentionDays: 0 }, () => api('DELETE', `/files/${tree.root.id}`, { token: user.token }))).status).to.equal(204);
    expect(await dbClient.files.countDocuments({ userId: new ObjectId(user.id) })).to.equal(0);
    expect(await stillStored(tree.blobs)).to.deep.equal([]);
  });
});
