import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import Queue from 'bull';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import sharp, { type Sharp } from 'sharp';
import { processFileJob } from '../../utils/jobs/processors';
import { asBullProcessor, type FileJobData } from '../../utils/queues';
import { thumbnailKey, THUMBNAIL_WIDTHS, type ThumbnailWidth } from '../../utils/storage/byteStore';
import { byteStore, type Blob } from '../../utils/storage/stores';
import { makeThumbnails, ThumbnailError } from '../../utils/jobs/thumbnails';
import { api, base64, blobExists, blobOfFile, createUser, harness, pendingWrites, readBlob, rejection, upload, withConfig, writeBlob } from '../support';
import { waitFor, waitUntil } from '../../scripts/lib/wait';

/** An image stored as the server stores uploads, where the worker finds originals. */
async function writeImage(data: Buffer): Promise<Blob> {
  const blob = { store: byteStore(), key: byteStore().newKey() };
  await writeBlob(blob, data);
  return blob;
}

const thumbnailOf = ({ store, key }: Blob, width: ThumbnailWidth): Blob => ({ store, key: thumbnailKey(key, width) });

/** Everything makeThumbnails may have written for `original`, finished or under way. */
async function outputsOf({ store, key }: Blob): Promise<string[]> {
  const outputs = (await pendingWrites()).filter((name) => name.startsWith(key));
  for await (const entry of store.list()) if (entry.key.startsWith(`${key}_`)) outputs.push(entry.key);
  return outputs;
}

function solid(width: number, height: number, background: string): Sharp {
  return sharp({ create: { width, height, channels: 3, background } });
}

describe('makeThumbnails', () => {
  const formats: [string, (image: Sharp) => Sharp, string][] = [
    ['JPEG', (image) => image.jpeg(), 'jpeg'],
    ['PNG', (image) => image.png(), 'png'],
    ['WebP', (image) => image.webp(), 'webp'],
    ['AVIF', (image) => image.avif({ effort: 0 }), 'heif'],
    ['TIFF', (image) => image.tiff(), 'tiff'],
  ];
  for (const [label, encode, format] of formats) {
    it(`makes 500, 250 and 100 px wide thumbnails of a ${label}, in the same format, aspect kept`, async () => {
      const original = await writeImage(await encode(solid(800, 600, '#2080c0')).toBuffer());
      await makeThumbnails(original);
      for (const width of THUMBNAIL_WIDTHS) {
        const metadata = await sharp(await readBlob(thumbnailOf(original, width))).metadata();
        expect(metadata.format, `${width}`).to.equal(format);
        expect(metadata.width).to.equal(width);
        expect(metadata.height).to.equal(Math.round((width * 600) / 800));
      }
      expect(await pendingWrites()).to.deep.equal([]);
    });
  }

  it('makes thumbnails of the first frame of an animated GIF', async () => {
    const red = await solid(80, 60, '#ff0000').png().toBuffer();
    const blue = await solid(80, 60, '#0000ff').png().toBuffer();
    const animation = await sharp([red, blue], { join: { animated: true } }).gif().toBuffer();
    expect((await sharp(animation).metadata()).pages).to.equal(2);
    const original = await writeImage(animation);
    await makeThumbnails(original);
    for (const width of THUMBNAIL_WIDTHS) {
      const thumbnail = sharp(await readBlob(thumbnailOf(original, width)));
      const metadata = await thumbnail.metadata();
      expect(metadata.format).to.equal('gif');
      expect(metadata.width).to.equal(width);
      expect(metadata.pages ?? 1).to.equal(1);
      const { data } = await thumbnail.raw().toBuffer({ resolveWithObject: true });
      expect([data[0], data[1], data[2]], `${width}`).to.deep.equal([255, 0, 0]);
    }
  });

  it('applies EXIF orientation 6, so the 100 px thumbnail of a 300x200 landscape is 100x150', async () => {
    const rotated = await solid(300, 200, '#40a040').jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect(await sharp(rotated).metadata()).to.include({ orientation: 6, width: 300, height: 200 });
    const original = await writeImage(rotated);
    await makeThumbnails(original);
    const small = await sharp(await readBlob(thumbnailOf(original, 100))).metadata();
    expect([small.width, small.height]).to.deep.equal([100, 150]);
    // Already upright: no orientation left for a viewer to apply a second time.
    expect(small.orientation ?? 1).to.equal(1);
    const large = await sharp(await readBlob(thumbnailOf(original, 500))).metadata();
    expect([large.width, large.height]).to.deep.equal([500, 750]);
  });

  it('keeps a transparent PNG transparent: an alpha channel and a see-through pixel', async () => {
    // Opaque blue on the right half only; the left half is fully transparent.
    const pixels = Buffer.alloc(200 * 100 * 4);
    for (let y = 0; y < 100; y += 1) {
      for (let x = 100; x < 200; x += 1) pixels.set([0, 0, 255, 255], (y * 200 + x) * 4);
    }
    const original = await writeImage(await sharp(pixels, { raw: { width: 200, height: 100, channels: 4 } }).png().toBuffer());
    await makeThumbnails(original);
    for (const width of THUMBNAIL_WIDTHS) {
      const { data, info } = await sharp(await readBlob(thumbnailOf(original, width))).raw().toBuffer({ resolveWithObject: true });
      expect(info.channels, `${width}`).to.equal(4);
      expect(data[3], 'top-left alpha').to.equal(0);
      const rightEdge = (info.width - 1) * 4;
      expect([data[rightEdge + 2], data[rightEdge + 3]], 'top-right blue, opaque').to.deep.equal([255, 255]);
    }
  });

  for (const [label, bytes] of [
    ['random bytes', () => Promise.resolve(randomBytes(4096))],
    ['a truncated PNG', async () => (await solid(400, 300, '#123456').png().toBuffer()).subarray(0, 60)],
  ] as const) {
    it(`fails on ${label} with a ThumbnailError and leaves no thumbnail or partial file`, async () => {
      const original = await writeImage(await bytes());
      const failure = await rejection(makeThumbnails(original));
      expect(failure).to.be.instanceOf(ThumbnailError);
      expect(failure.message).to.match(/^Cannot decode image: ./);
      expect(await outputsOf(original)).to.deep.equal([]);
      expect(await pendingWrites()).to.deep.equal([]);
    });
  }

  it('fails on an image format it cannot write back, naming the format', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    const original = await writeImage(svg);
    const failure = await rejection(makeThumbnails(original));
    expect(failure).to.be.instanceOf(ThumbnailError);
    expect(failure.message).to.equal('Unsupported image format: svg');
    expect(await outputsOf(original)).to.deep.equal([]);
  });

  it('writes each file whole or not at all: a write that fails midway leaves neither the file nor a partial', async () => {
    const target = thumbnailOf(await writeImage(Buffer.from('x')), 500);
    const failing = new Readable({
      read() {
        this.push(randomBytes(1000));
        this.destroy(new Error('disk full'));
      },
    });
    const failure = await rejection(target.store.write(target.key, failing, { maxBytes: Number.POSITIVE_INFINITY }));
    expect(failure.message).to.equal('disk full');
    expect(await blobExists(target)).to.equal(false);
    expect(await pendingWrites()).to.deep.equal([]);
  });
});

describe('thumbnail jobs', () => {
  async function uploadImage(token: string, data: Buffer): Promise<{ id: string; userId: string; blob: Blob }> {
    const file = await upload(token, { name: 'picture.avif', type: 'image', data: base64(data) });
    return { id: file.id, userId: file.userId, blob: await blobOfFile(file.id) };
  }

  /** A private queue, so the processor under test never takes jobs meant for the suite's fileQueue. */
  async function withQueue(run: (queue: Queue.Queue<FileJobData>) => Promise<void>): Promise<void> {
    const queue = new Queue<FileJobData>(`thumbnails-test-${randomBytes(6).toString('hex')}`, harness().services.redisUrl);
    try {
      await run(queue);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  }

  it('fails an undecodable image at the first attempt instead of retrying it, keeping the job and its reason', async () => {
    const user = await createUser();
    const image = await uploadImage(user.token, randomBytes(2048));
    await withQueue(async (queue) => {
      void queue.process(asBullProcessor(processFileJob));
      const job = await queue.add(
        { fileId: image.id, userId: image.userId },
        { attempts: 4, backoff: { type: 'exponential', delay: 50 }, removeOnFail: false },
      );
      const failed = await waitFor('the job to fail', async () => ((await job.isFailed()) ? true : undefined), 15_000, 20);
      expect(failed).to.equal(true);
      const kept = await queue.getJob(job.id);
      expect(kept?.attemptsMade).to.equal(1);
      expect(kept?.failedReason).to.match(/^Cannot decode image: /);
    });
    expect(await outputsOf(image.blob)).to.deep.equal([]);
  });

  it('retries a failure that may pass, such as a file not found yet', async () => {
    await withQueue(async (queue) => {
      void queue.process(asBullProcessor(processFileJob));
      const job = await queue.add(
        { fileId: new ObjectId().toHexString(), userId: new ObjectId().toHexString() },
        { attempts: 2, backoff: { type: 'fixed', delay: 50 }, removeOnFail: false },
      );
      await waitUntil('the job to fail twice', () => job.isFailed(), 15_000, 20);
      const kept = await queue.getJob(job.id);
      expect(kept?.attemptsMade).to.equal(2);
      expect(kept?.failedReason).to.equal('File not found');
    });
  });

  it('leaves no thumbnails behind when the image is deleted while its job runs', async function () {
    this.timeout(60_000);
    const user = await createUser();
    // Noise at the default AVIF effort takes the job most of a second to encode: time enough to delete meanwhile.
    const noise = await sharp({ create: { width: 600, height: 450, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
      .avif({ effort: 0 })
      .toBuffer();
    const image = await uploadImage(user.token, noise);
    let jobFinishedAt = Number.POSITIVE_INFINITY;
    const job = processFileJob({ fileId: image.id, userId: image.userId }).finally(() => {
      jobFinishedAt = Date.now();
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    // For good: one in the trash keeps its thumbnails, since it may come back.
    const deleted = await withConfig({ trashRetentionDays: 0 }, () => api('DELETE', `/files/${image.id}`, { token: user.token }));
    const deletedAt = Date.now();
    expect(deleted.status).to.equal(204);
    await job;
    expect(deletedAt, 'the delete finished while the job was still running').to.be.below(jobFinishedAt);
    expect(await outputsOf(image.blob)).to.deep.equal([]);
    expect(await blobExists(image.blob)).to.equal(false);
    expect(await pendingWrites()).to.deep.equal([]);
  });

  it('still makes thumbnails of an image moved and renamed while its job runs', async () => {
    const user = await createUser();
    const folder = await upload(user.token, { name: 'album', type: 'folder' });
    const image = await uploadImage(user.token, await solid(900, 600, '#806040').avif({ effort: 0 }).toBuffer());
    const job = processFileJob({ fileId: image.id, userId: image.userId });
    const moved = await api('PATCH', `/files/${image.id}`, { token: user.token, json: { parentId: folder.id, name: 'moved.avif' } });
    expect(moved.status).to.equal(200);
    await job;
    for (const width of THUMBNAIL_WIDTHS) expect(await blobExists(thumbnailOf(image.blob, width)), `${width}`).to.equal(true);
    const served = await api('GET', `/files/${image.id}/data?size=100`, { token: user.token });
    expect(served.status).to.equal(200);
  });
});
