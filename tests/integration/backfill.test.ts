import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Queue from 'bull';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import sharp from 'sharp';
import { backfillThumbnails } from '../../utils/jobs/backfill';
import { dbClient, type FileDoc, type FileType } from '../../utils/db';
import { QUEUE_NAMES, queues, thumbnailJobId, type FileJobData } from '../../utils/queues';
import { thumbnailKey, THUMBNAIL_WIDTHS, type ThumbnailWidth } from '../../utils/storage/byteStore';
import { recountUsage } from '../../utils/users/quota';
import { ROOT } from '../../scripts/lib/processes';
import { blobFields, byteStore } from '../../utils/storage/stores';
import { harness, writeBlob } from '../support';


/**
 * A document inserted directly, as an import would, so no job exists for it; its bytes and
 * the thumbnails named in `thumbnails` are on disk.
 */
async function insertImported(owner: ObjectId, type: FileType, thumbnails: readonly ThumbnailWidth[] = []): Promise<FileDoc> {
  const doc: FileDoc = { _id: new ObjectId(), userId: owner, name: `imported.${type}`, type, isPublic: false, parentId: 0 };
  if (type !== 'folder') {
    const blob = { store: byteStore(), key: `imported-${randomBytes(8).toString('hex')}` };
    Object.assign(doc, blobFields(blob));
    await writeBlob(blob, await sharp({ create: { width: 20, height: 20, channels: 3, background: '#888' } }).png().toBuffer());
    for (const width of thumbnails) await writeBlob({ store: blob.store, key: thumbnailKey(blob.key, width) }, 'thumbnail');
  }
  await dbClient.files.insertOne(doc);
  await recountUsage(owner);
  return doc;
}

async function jobFor(doc: FileDoc): Promise<Queue.Job<FileJobData> | null> {
  return queues.fileQueue.getJob(thumbnailJobId(doc._id.toHexString()));
}

describe('backfillThumbnails', () => {
  it('queues a job, with the id thumbnails:<fileId>, for every image missing any of its thumbnails', async () => {
    const owner = new ObjectId();
    const bare = await insertImported(owner, 'image');
    const partial = await insertImported(owner, 'image', [500]);
    const result = await backfillThumbnails();
    expect(result.failed).to.equal(0);
    expect(result.enqueued).to.be.at.least(2);
    for (const doc of [bare, partial]) {
      const job = await jobFor(doc);
      expect(job, doc.name).to.not.equal(null);
      expect(job?.data).to.deep.equal({ fileId: doc._id.toHexString(), userId: owner.toHexString() });
      expect(await job?.getState()).to.equal('waiting');
      expect(job?.opts).to.include({ attempts: 4, removeOnComplete: true, removeOnFail: false });
      expect(job?.opts.backoff).to.deep.equal({ type: 'exponential', delay: 1000 });
    }
  });

  it('queues nothing for images whose three thumbnails exist, for files, or for folders', async () => {
    const owner = new ObjectId();
    const complete = await insertImported(owner, 'image', THUMBNAIL_WIDTHS);
    const file = await insertImported(owner, 'file');
    const folder = await insertImported(owner, 'folder');
    const result = await backfillThumbnails();
    expect(result.skipped).to.be.at.least(1);
    for (const doc of [complete, file, folder]) expect(await jobFor(doc), doc.name).to.equal(null);
  });

  it('keeps one pending job per image when run twice', async () => {
    const owner = new ObjectId();
    const image = await insertImported(owner, 'image');
    await backfillThumbnails();
    const first = await jobFor(image);
    await backfillThumbnails();
    const waiting = await queues.fileQueue.getWaiting();
    expect(waiting.filter((job) => job.data.fileId === image._id.toHexString())).to.have.length(1);
    expect((await jobFor(image))?.timestamp).to.equal(first?.timestamp);
  });

  it('replaces a kept failed job for the image with a new one', async () => {
    const owner = new ObjectId();
    const image = await insertImported(owner, 'image');
    const jobId = thumbnailJobId(image._id.toHexString());
    // A second client on the queue takes the job as a worker would, and fails it for good.
    const taker = new Queue<FileJobData>(QUEUE_NAMES.file, harness().services.redisUrl);
    try {
      await taker.add({ fileId: image._id.toHexString(), userId: owner.toHexString() }, { jobId, attempts: 1, lifo: true, removeOnFail: false });
      const taken = await taker.getNextJob();
      expect(taken?.id).to.equal(jobId);
      await taken?.moveToFailed({ message: 'Cannot decode image: test' });
    } finally {
      await taker.close();
    }
    const failed = await jobFor(image);
    expect(await failed?.getState()).to.equal('failed');

    await backfillThumbnails();
    const renewed = await jobFor(image);
    expect(await renewed?.getState()).to.equal('waiting');
    expect(renewed?.attemptsMade).to.equal(0);
    expect(renewed?.failedReason).to.equal(undefined);
  });
});

describe('npm run thumbnails:backfill', () => {
  it('connects with the environment, prints how many jobs it queued, and exits 0', async function () {
    this.timeout(120_000);
    const image = await insertImported(new ObjectId(), 'image');
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
      execFile(
        'npm',
        ['run', '--silent', 'thumbnails:backfill'],
        { cwd: ROOT, env: { ...process.env, ...harness().env }, timeout: 110_000 },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve({ stdout: out })),
      );
    });
    const queued = /thumbnail jobs queued: (\d+)/.exec(stdout);
    expect(queued, stdout).to.not.equal(null);
    expect(Number(queued?.[1])).to.be.at.least(1);
    expect(await jobFor(image)).to.not.equal(null);
  });
});
