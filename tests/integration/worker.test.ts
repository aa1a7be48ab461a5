import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import sharp from 'sharp';
import { THUMBNAIL_WIDTHS } from '../../utils/storage/byteStore';
import { processFileJob, processUserJob } from '../../utils/jobs/processors';
import { base64, blobOfFile, captureOutput, createUser, makeImage, pendingWrites, readBlob, rejection, storedKeys, type TestUser, upload } from '../support';

async function uploadImage(user: TestUser, image: Buffer, name = 'photo.png'): Promise<{ fileId: string; key: string }> {
  const file = await upload(user.token, { name, type: 'image', data: base64(image) });
  return { fileId: file.id, key: (await blobOfFile(file.id)).key };
}

/** The stored objects whose keys begin with the original's: itself and its thumbnails. */
async function objectsOf(key: string): Promise<string[]> {
  return (await storedKeys()).filter((name) => name.startsWith(key));
}

describe('processFileJob', () => {
  describe('errors', () => {
    it('throws "Missing fileId" without a fileId, whatever else is missing', async () => {
      expect((await rejection(processFileJob({}))).message).to.equal('Missing fileId');
      expect((await rejection(processFileJob({ userId: new ObjectId().toHexString() }))).message).to.equal('Missing fileId');
      expect((await rejection(processFileJob({ fileId: null, userId: null }))).message).to.equal('Missing fileId');
    });

    it('throws "Missing userId" with a fileId but no userId', async () => {
      expect((await rejection(processFileJob({ fileId: new ObjectId().toHexString() }))).message).to.equal('Missing userId');
      expect((await rejection(processFileJob({ fileId: new ObjectId().toHexString(), userId: '' }))).message).to.equal('Missing userId');
    });

    it('throws "File not found" for an unknown or invalid fileId', async () => {
      const user = await createUser();
      for (const fileId of [new ObjectId().toHexString(), 'not-an-id', 42]) {
        expect((await rejection(processFileJob({ fileId, userId: user.id }))).message).to.equal('File not found');
      }
    });

    it('throws "File not found" when the file belongs to another user, and makes no thumbnail', async () => {
      const [owner, other] = [await createUser(), await createUser()];
      const { fileId, key } = await uploadImage(owner, await makeImage(40, 20));
      expect((await rejection(processFileJob({ fileId, userId: other.id }))).message).to.equal('File not found');
      expect(await objectsOf(key)).to.deep.equal([key]);
    });
  });

  describe('thumbnails', () => {
    async function expectThumbnails(fileId: string, format: string, aspect: number, hasAlpha: boolean): Promise<void> {
      for (const width of THUMBNAIL_WIDTHS) {
        const metadata = await sharp(await readBlob(await blobOfFile(fileId, width))).metadata();
        expect(metadata.format, `${width}`).to.equal(format);
        expect(metadata.width, `${width}`).to.equal(width);
        expect(metadata.height, `${width}`).to.be.closeTo(width / aspect, 1);
        expect(metadata.hasAlpha, `${width}`).to.equal(hasAlpha);
      }
    }

    it('writes <key>_500, _250 and _100, that wide, aspect and PNG transparency kept', async () => {
      const user = await createUser();
      const { fileId } = await uploadImage(user, await makeImage(800, 600, 'png'));
      await processFileJob({ fileId, userId: user.id });
      await expectThumbnails(fileId, 'png', 800 / 600, true);
    });

    it('keeps a JPEG a JPEG', async () => {
      const user = await createUser();
      const { fileId } = await uploadImage(user, await makeImage(640, 480, 'jpeg'), 'photo.jpg');
      await processFileJob({ fileId, userId: user.id });
      await expectThumbnails(fileId, 'jpeg', 640 / 480, false);
    });

    it('enlarges an image narrower than 500 px to the three widths', async () => {
      const user = await createUser();
      const { fileId } = await uploadImage(user, await makeImage(120, 60, 'webp'), 'small.webp');
      await processFileJob({ fileId, userId: user.id });
      await expectThumbnails(fileId, 'webp', 2, true);
    });

    it('applies the EXIF orientation, so a photo taken sideways comes out upright', async () => {
      const user = await createUser();
      // Stored 600 wide and 300 high; orientation 6 means it is shown rotated, 300 wide and 600 high.
      const sideways = await sharp(await makeImage(600, 300, 'jpeg')).withMetadata({ orientation: 6 }).jpeg().toBuffer();
      expect(await sharp(sideways).metadata()).to.include({ width: 600, height: 300, orientation: 6 });
      const { fileId } = await uploadImage(user, sideways, 'phone.jpg');
      await processFileJob({ fileId, userId: user.id });
      await expectThumbnails(fileId, 'jpeg', 300 / 600, false);
    });

    it('is harmless to run twice: the same thumbnails and no temporary files left', async () => {
      const user = await createUser();
      const { fileId, key } = await uploadImage(user, await makeImage(300, 300));
      await processFileJob({ fileId, userId: user.id });
      await processFileJob({ fileId, userId: user.id });
      await expectThumbnails(fileId, 'png', 1, true);
      expect(await objectsOf(key)).to.deep.equal([key, `${key}_100`, `${key}_250`, `${key}_500`]);
      expect(await pendingWrites()).to.deep.equal([]);
    });
  });
});

describe('processUserJob', () => {
  it('throws "Missing userId" without a userId', async () => {
    expect((await rejection(processUserJob({}))).message).to.equal('Missing userId');
    expect((await rejection(processUserJob({ userId: null }))).message).to.equal('Missing userId');
  });

  it('throws "User not found" for an unknown or invalid userId', async () => {
    for (const userId of [new ObjectId().toHexString(), 'not-an-id']) {
      expect((await rejection(processUserJob({ userId }))).message).to.equal('User not found');
    }
  });

  it('logs exactly "Welcome <email>!" for a known user', async () => {
    const user = await createUser();
    const lines = await captureOutput(() => processUserJob({ userId: user.id }));
    expect(lines).to.deep.equal([`Welcome ${user.email}!`]);
  });

  it('logs nothing when it fails', async () => {
    const lines = await captureOutput(async () => {
      await rejection(processUserJob({ userId: new ObjectId().toHexString() }));
    });
    expect(lines).to.deep.equal([]);
  });
});
