import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { THUMBNAIL_WIDTHS } from '../../utils/storage/byteStore';
import { api, type ApiResponse, base64, blobOfFile, createUser, download, expectError, type TestUser, upload, writeBlob } from '../support';

function mediaType(response: ApiResponse): string | undefined {
  return response.headers.get('content-type')?.split(';')[0];
}

type Viewer = 'owner' | 'anonymous' | 'other user';
const VIEWERS: Viewer[] = ['owner', 'anonymous', 'other user'];

interface Cast {
  owner: TestUser;
  other: TestUser;
}

async function cast(): Promise<Cast> {
  return { owner: await createUser(), other: await createUser() };
}

function tokenOf(people: Cast, viewer: Viewer): string | undefined {
  if (viewer === 'owner') return people.owner.token;
  return viewer === 'other user' ? people.other.token : undefined;
}

describe('GET /files/:id/data', () => {
  describe('who may read what', () => {
    for (const isPublic of [true, false]) {
      const visibility = isPublic ? 'public' : 'private';
      for (const viewer of VIEWERS) {
        const allowed = isPublic || viewer === 'owner';

        it(`${allowed ? 'serves' : 'hides with 404 "Not found"'} a ${visibility} file to the ${viewer}`, async () => {
          const people = await cast();
          const content = `${visibility} content ${randomBytes(4).toString('hex')}`;
          const file = await upload(people.owner.token, { name: 'note.txt', type: 'file', data: base64(content), isPublic });
          const response = await api('GET', `/files/${file.id}/data`, { token: tokenOf(people, viewer) });
          if (allowed) {
            expect(response.status).to.equal(200);
            expect(response.text).to.equal(content);
            expect(mediaType(response)).to.equal('text/plain');
          } else {
            expectError(response, 404, 'Not found');
          }
        });

        const folderStatus = allowed ? '400 "A folder doesn\'t have content"' : '404 "Not found"';
        it(`answers a ${visibility} folder to the ${viewer} with ${folderStatus}`, async () => {
          const people = await cast();
          const folder = await upload(people.owner.token, { name: 'dir', type: 'folder', isPublic });
          const response = await api('GET', `/files/${folder.id}/data`, { token: tokenOf(people, viewer) });
          if (allowed) expectError(response, 400, "A folder doesn't have content");
          else expectError(response, 404, 'Not found');
        });

        it(`answers a ${visibility} file missing on disk to the ${viewer} with 404 "Not found"`, async () => {
          const people = await cast();
          const file = await upload(people.owner.token, { name: 'gone.txt', type: 'file', data: base64('gone'), isPublic });
          const blob = await blobOfFile(file.id);
          await blob.store.delete([blob.key]);
          expectError(await api('GET', `/files/${file.id}/data`, { token: tokenOf(people, viewer) }), 404, 'Not found');
          // The damage was made by hand for this test; the suite must leave a consistent store.
          expect((await api('DELETE', `/files/${file.id}`, { token: people.owner.token })).status).to.equal(204);
          expect((await api('DELETE', `/trash/${file.id}`, { token: people.owner.token })).status).to.equal(204);
        });
      }
    }

    it('treats an unknown token as anonymous: public files are served, private ones hidden', async () => {
      const { owner } = await cast();
      const shared = await upload(owner.token, { name: 'a.txt', type: 'file', data: base64('shared'), isPublic: true });
      const secret = await upload(owner.token, { name: 'b.txt', type: 'file', data: base64('secret') });
      expect((await api('GET', `/files/${shared.id}/data`, { token: 'unknown' })).text).to.equal('shared');
      expectError(await api('GET', `/files/${secret.id}/data`, { token: 'unknown' }), 404, 'Not found');
    });

    it('follows publish and unpublish at once', async () => {
      const { owner } = await cast();
      const file = await upload(owner.token, { name: 'a.txt', type: 'file', data: base64('flip') });
      expect((await api('GET', `/files/${file.id}/data`)).status).to.equal(404);
      await api('PUT', `/files/${file.id}/publish`, { token: owner.token });
      expect((await api('GET', `/files/${file.id}/data`)).text).to.equal('flip');
      await api('PUT', `/files/${file.id}/unpublish`, { token: owner.token });
      expectError(await api('GET', `/files/${file.id}/data`), 404, 'Not found');
    });
  });

  for (const id of ['not-an-id', new ObjectId().toHexString()]) {
    it(`answers the id ${id} with 404 "Not found"`, async () => {
      const { owner } = await cast();
      expectError(await api('GET', `/files/${id}/data`, { token: owner.token }), 404, 'Not found');
    });
  }

  it('serves the exact bytes of a binary file', async () => {
    const { owner } = await cast();
    const content = randomBytes(256 * 1024);
    const file = await upload(owner.token, { name: 'blob.bin', type: 'file', data: base64(content) });
    const response = await download(file.id, { token: owner.token });
    expect(response.status).to.equal(200);
    expect(mediaType(response)).to.equal('application/octet-stream');
    expect(response.bytes.equals(content)).to.equal(true);
  });

  describe('size', () => {
    for (const size of ['42', '0', 'abc', '', '500px', '1000', '250.0']) {
      it(`answers size=${size} with 400 "Invalid size"`, async () => {
        const { owner } = await cast();
        const file = await upload(owner.token, { name: 'a.png', type: 'image', data: base64('png'), isPublic: true });
        expectError(await api('GET', `/files/${file.id}/data?size=${size}`, { token: owner.token }), 400, 'Invalid size');
      });
    }

    it('checks the size before looking the document up', async () => {
      expectError(await api('GET', `/files/${new ObjectId().toHexString()}/data?size=7`), 400, 'Invalid size');
    });

    for (const size of THUMBNAIL_WIDTHS) {
      it(`serves <localPath>_${size} for size=${size}, with the original's Content-Type`, async () => {
        const { owner } = await cast();
        const file = await upload(owner.token, { name: 'photo.png', type: 'image', data: base64('original') });
        const thumbnail = `thumbnail ${size} ${randomBytes(4).toString('hex')}`;
        await writeBlob(await blobOfFile(file.id, size), thumbnail);
        const response = await api('GET', `/files/${file.id}/data?size=${size}`, { token: owner.token });
        expect(response.status).to.equal(200);
        expect(response.text).to.equal(thumbnail);
        expect(mediaType(response)).to.equal('image/png');
        expect((await api('GET', `/files/${file.id}/data`, { token: owner.token })).text).to.equal('original');
      });
    }

    it('answers a thumbnail not made yet with 404 "Not found"', async () => {
      const { owner } = await cast();
      const file = await upload(owner.token, { name: 'photo.png', type: 'image', data: base64('original'), isPublic: true });
      expectError(await api('GET', `/files/${file.id}/data?size=250`, { token: owner.token }), 404, 'Not found');
    });

    it('hides a private file\'s thumbnail from other users with 404 "Not found"', async () => {
      const { owner, other } = await cast();
      const file = await upload(owner.token, { name: 'photo.png', type: 'image', data: base64('original') });
      await writeBlob(await blobOfFile(file.id, 100), 'thumb');
      expectError(await api('GET', `/files/${file.id}/data?size=100`, { token: other.token }), 404, 'Not found');
      expectError(await api('GET', `/files/${file.id}/data?size=100`), 404, 'Not found');
    });

    it('answers a folder with a valid size with 400 "A folder doesn\'t have content"', async () => {
      const { owner } = await cast();
      const folder = await upload(owner.token, { name: 'dir', type: 'folder' });
      expectError(await api('GET', `/files/${folder.id}/data?size=500`, { token: owner.token }), 400, "A folder doesn't have content");
    });
  });

  describe('Content-Type', () => {
    const cases: [string, string][] = [
      ['notes.txt', 'text/plain'],
      ['page.html', 'text/html'],
      ['data.json', 'application/json'],
      ['photo.PNG', 'image/png'],
      ['photo.jpeg', 'image/jpeg'],
      ['photo.jpg', 'image/jpeg'],
      ['report.pdf', 'application/pdf'],
      ['archive.tar.gz', 'application/gzip'],
      ['no-extension', 'application/octet-stream'],
      ['strange.unknownext', 'application/octet-stream'],
      ['.hidden', 'application/octet-stream'],
    ];
    for (const [name, type] of cases) {
      it(`is ${type} for a file named ${name}`, async () => {
        const { owner } = await cast();
        const file = await upload(owner.token, { name, type: 'file', data: base64('content') });
        const response = await download(file.id, { token: owner.token });
        expect(response.status).to.equal(200);
        expect(mediaType(response)).to.equal(type);
        expect(response.bytes.toString()).to.equal('content');
      });
    }
  });
});
