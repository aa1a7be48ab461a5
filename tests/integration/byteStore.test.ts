import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { S3Client } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { findOrStartS3 } from '../../scripts/lib/versitygw';
import { configuredS3, type S3Settings } from '../../utils/config';
import { HttpError, isServiceOutage } from '../../utils/errors';
import { MissingObjectError, type ByteStore } from '../../utils/storage/byteStore';
import { isStorageOutage } from '../../utils/storage/s3Errors';
import { S3Store } from '../../utils/storage/s3Store';
import { LocalStore } from '../../utils/storage/localStore';
import { rejection, sha256 } from '../support';

/**
 * The ByteStore contract, run against every driver on a real backend. Adding a driver is one
 * entry in DRIVERS; what only some backends can do (be taken down, be misconfigured) is optional.
 */
interface StoreUnderTest {
  store: ByteStore;
  /** Stores on the same backend that cannot work, with what their prepare() error must say. */
  misconfigured: { what: string; store: ByteStore; message: RegExp }[];
  /** The driver's own "the backend is down or refuses us" test. */
  isOutage(error: unknown): boolean;
  /** Takes the backend down (as a crash would) and brings it back, when this run owns it. */
  outage?: { stop(): Promise<void>; start(): Promise<void> };
  cleanup(): Promise<void>;
}

interface Driver {
  name: string;
  /** A service reached over the network: it can be misconfigured, and this run may take it down. */
  remote: boolean;
  /** This run owns the backend, so the outage test can stop and restart it. */
  ownsBackend: boolean;
  /** Keys with slashes (an object store's "folders"); the local driver's keys are flat file names. */
  nestedKeys: boolean;
  make(): Promise<StoreUnderTest>;
}

const MiB = 1024 * 1024;

const DRIVERS: Driver[] = [
  {
    name: 'local (a temporary folder)',
    remote: false,
    ownsBackend: true,
    nestedKeys: false,
    make() {
      const folder = mkdtempSync(path.join(os.tmpdir(), 'files-manager-store-test-'));
      return Promise.resolve({
        store: new LocalStore(folder),
        misconfigured: [],
        isOutage: isServiceOutage,
        cleanup: () => rm(folder, { recursive: true, force: true }),
      });
    },
  },
  {
    name: 's3 (versitygw, or the server TEST_AWS_ENDPOINT_URL_S3 names)',
    remote: true,
    ownsBackend: configuredS3(process.env, 'TEST_') === undefined,
    nestedKeys: true,
    async make() {
      const s3 = await findOrStartS3('TEST_');
      const managed = s3.managed;
      // A run of its own inside the bucket, so a shared TEST_ bucket never mixes runs.
      const prefix = `byte-store-test-${randomBytes(4).toString('hex')}/`;
      const settings: S3Settings = {
        bucket: s3.bucket,
        prefix,
        region: s3.region,
        endpoint: s3.endpoint,
        accessKeyId: s3.accessKeyId,
        secretAccessKey: s3.secretAccessKey,
      };
      const store = new S3Store(settings);
      const admin = new S3Client({
        region: s3.region,
        endpoint: s3.endpoint,
        forcePathStyle: s3.endpoint !== undefined,
        credentials:
          s3.accessKeyId !== undefined && s3.secretAccessKey !== undefined
            ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }
            : undefined,
      });
      const misconfigured = [
        {
          what: 'an unknown access key ID',
          store: new S3Store({ ...settings, accessKeyId: 'AKNOTAKEY0000000000', secretAccessKey: 'x'.repeat(40) }),
          message: /access key ID is not known/,
        },
        {
          what: 'a bucket that does not exist',
          store: new S3Store({ ...settings, bucket: `files-manager-missing-${randomBytes(4).toString('hex')}` }),
          message: /does not exist/,
        },
      ];
      if (s3.accessKeyId !== undefined) {
        misconfigured.push({
          what: 'a wrong secret key',
          store: new S3Store({ ...settings, accessKeyId: s3.accessKeyId, secretAccessKey: 'y'.repeat(40) }),
          message: /secret access key is wrong/,
        });
      }
      return {
        store,
        misconfigured,
        isOutage: isStorageOutage,
        outage: managed && { stop: () => managed.stop(), start: () => managed.start() },
        async cleanup() {
          const keys: string[] = [];
          for await (const entry of store.list()) keys.push(entry.key);
          await store.delete(keys);
          await Promise.all([store.close(), ...misconfigured.map((entry) => entry.store.close())]);
          admin.destroy();
          await s3.dispose();
        },
      };
    },
  },
];


/** `data` as a stream of network-sized chunks. */
function sourceOf(data: Buffer, chunkSize = 64 * 1024): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= data.length) {
        this.push(null);
        return;
      }
      this.push(data.subarray(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

/**
 * `total` bytes made while they are read, never held at once: a 1 MiB random block repeated,
 * each copy's first 8 bytes replaced by its index so no two MiB are alike. `sha256()` is known
 * once the stream has ended. With `failAt`, the stream errors after that many bytes instead.
 */
function generated(total: number, options: { failAt?: number; error?: Error } = {}): Readable & { sha256(): string } {
  const block = randomBytes(MiB);
  const hash = createHash('sha256');
  let sent = 0;
  const stream = new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (options.failAt !== undefined && sent >= options.failAt) {
        this.destroy(options.error ?? new Error('source failed'));
        return;
      }
      if (sent >= total) {
        this.push(null);
        return;
      }
      const offset = sent % MiB;
      const size = Math.min(64 * 1024, MiB - offset, total - sent);
      const chunk = Buffer.from(block.subarray(offset, offset + size));
      if (offset === 0 && size >= 8) chunk.writeBigUInt64BE(BigInt(sent / MiB), 0);
      hash.update(chunk);
      sent += size;
      this.push(chunk);
    },
  });
  return Object.assign(stream, { sha256: () => hash.digest('hex') });
}

async function hashOf(stream: Readable): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

/** Drains what the store left unread, as the HTTP layer does before answering. */
async function drain(stream: Readable): Promise<void> {
  if (stream.destroyed) return;
  await new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
    stream.resume();
  });
}

interface Growth {
  /** Resident set size: what the machine pays, but blind to memory the allocator reuses. */
  rss: number;
  /** Node's Buffers and ArrayBuffers, live or awaiting collection: counted the same however warm the process is. */
  buffers: number;
}

/** The highest memory use seen while `task` runs, over that before it started. */
async function growth(task: () => Promise<void>): Promise<Growth> {
  const before = process.memoryUsage();
  const peak = { rss: before.rss, buffers: before.arrayBuffers };
  const sample = () => {
    const now = process.memoryUsage();
    peak.rss = Math.max(peak.rss, now.rss);
    peak.buffers = Math.max(peak.buffers, now.arrayBuffers);
  };
  const sampler = setInterval(sample, 10);
  try {
    await task();
  } finally {
    clearInterval(sampler);
  }
  sample();
  return { rss: peak.rss - before.rss, buffers: peak.buffers - before.arrayBuffers };
}

async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const key = (what: string): string => `${what}-${randomBytes(6).toString('hex')}`;

for (const driver of DRIVERS) {
  describe(`ByteStore: ${driver.name}`, function () {
    let t: StoreUnderTest;
    let store: ByteStore;

    before(async function () {
      // The first run on a machine builds versitygw from source: up to ~5 minutes with empty Go caches.
      this.timeout(10 * 60_000);
      t = await driver.make();
      store = t.store;
    });

    after(async function () {
      this.timeout(60_000);
      await t?.cleanup();
    });

    async function expectNothingLeft(objectKey: string): Promise<void> {
      expect(await store.stat(objectKey)).to.equal(null);
      expect(await store.pendingWrites()).to.deep.equal([]);
    }

    it('prepare() accepts a usable store, which then reports itself available and takes a write', async function () {
      expect(await store.prepare()).to.equal(undefined);
      expect(store.isAvailable()).to.equal(true);
      const name = key('prepared');
      expect(await store.write(name, Readable.from([Buffer.from('ok')]), { maxBytes: 2 })).to.deep.equal({ size: 2, sha256: createHash('sha256').update('ok').digest('hex') });
      expect(await store.stat(name)).to.include({ size: 2 });
      await store.delete([name]);
      expect(await store.stat(name)).to.equal(null);
    });

    // First, while the process has not yet grown for the other tests' buffers.
    describe('memory', function () {
      it('a 512 MiB write and read keep the process within 64 MiB of where it started', async function () {
        this.timeout(5 * 60_000);
        const size = 512 * MiB;
        const name = key('large');
        const source = generated(size);
        let stored: { size: number; sha256: string } | undefined;
        const write = await growth(async () => {
          stored = await store.write(name, source, { maxBytes: size });
        });
        expect(stored).to.deep.equal({ size, sha256: source.sha256() });
        let back: { size: number; sha256: string } | undefined;
        const read = await growth(async () => {
          back = await hashOf(await store.read(name));
        });
        expect(back).to.deep.equal(stored);
        await store.delete([name]);
        const shown = (g: Growth) => `RSS +${(g.rss / MiB).toFixed(1)} MiB, buffers +${(g.buffers / MiB).toFixed(1)} MiB`;
        console.log(`      write: ${shown(write)}; read: ${shown(read)}`);
        for (const [what, g] of [['write', write], ['read', read]] as const) {
          expect(g.rss, `${what}: RSS`).to.be.below(64 * MiB);
          expect(g.buffers, `${what}: buffers`).to.be.below(64 * MiB);
        }
      });
    });

    describe('writes and reads back byte for byte', function () {
      for (const [what, size] of [
        ['a small object', 1000],
        ['an empty object', 0],
        ['a 20 MiB object (multipart)', 20 * MiB + 12345],
      ] as const) {
        it(what, async function () {
          const data = randomBytes(size);
          const name = key('roundtrip');
          const stored = await store.write(name, sourceOf(data), { maxBytes: size });
          expect(stored).to.deep.equal({ size, sha256: sha256(data) });
          const back = await buffer(await store.read(name));
          expect(back.length).to.equal(size);
          expect(back.equals(data)).to.be.true;
          const stat = await store.stat(name);
          expect(stat?.size).to.equal(size);
          expect(stat?.modified).to.be.instanceOf(Date);
          expect(Math.abs((stat?.modified.getTime() ?? 0) - Date.now())).to.be.below(5 * 60_000);
        });
      }

      it('writing a key again replaces it whole', async function () {
        const name = key('again');
        await store.write(name, sourceOf(Buffer.from('first version, longer')), { maxBytes: 100 });
        await store.write(name, sourceOf(Buffer.from('second')), { maxBytes: 100 });
        expect((await buffer(await store.read(name))).toString()).to.equal('second');
      });

      if (driver.nestedKeys) it('keys with slashes', async function () {
        const name = `${key('dir')}/sub/file`;
        await store.write(name, sourceOf(Buffer.from('nested')), { maxBytes: 100 });
        expect((await buffer(await store.read(name))).toString()).to.equal('nested');
      });
    });

    describe('ranges', function () {
      const data = randomBytes(3 * MiB + 17);
      const name = key('ranges');
      before(async function () {
        await store.write(name, sourceOf(data), { maxBytes: data.length });
      });

      for (const [what, start, end] of [
        ['the first byte', 0, 0],
        ['a middle slice', 1_000_001, 2_345_678],
        ['the last byte', data.length - 1, data.length - 1],
        ['the whole object', 0, data.length - 1],
      ] as const) {
        it(what, async function () {
          const back = await buffer(await store.read(name, { start, end }));
          expect(back.length).to.equal(end - start + 1);
          expect(back.equals(data.subarray(start, end + 1))).to.be.true;
        });
      }
    });

    describe('stat, delete, list', function () {
      it('stat of a missing key is null', async function () {
        expect(await store.stat(key('never-written'))).to.equal(null);
      });

      it('deletes existing and missing keys; list sees what is there and not what was deleted', async function () {
        const kept = [key('kept'), driver.nestedKeys ? `${key('kept')}/nested` : key('kept')];
        const removed = [key('removed'), key('removed')];
        for (const name of [...kept, ...removed]) await store.write(name, sourceOf(Buffer.from(name)), { maxBytes: 1000 });
        await store.delete([...removed, key('never-written')]);
        await store.delete([]);
        const listed = new Map<string, number>();
        for await (const entry of store.list()) {
          expect(entry.modified).to.be.instanceOf(Date);
          listed.set(entry.key, entry.size);
        }
        for (const name of kept) expect(listed.get(name), name).to.equal(Buffer.byteLength(name));
        for (const name of removed) expect(listed.has(name), name).to.be.false;
        for (const name of removed) expect(await store.stat(name)).to.equal(null);
      });

      it('lists and deletes past one page (1000 keys)', async function () {
        this.timeout(120_000);
        const group = key('many');
        // A shared beginning stands in for a folder where keys cannot nest.
        const separator = driver.nestedKeys ? '/' : '-';
        const names = Array.from({ length: 1100 }, (_, i) => `${group}${separator}${String(i).padStart(4, '0')}`);
        for (let i = 0; i < names.length; i += 20) {
          await Promise.all(names.slice(i, i + 20).map((name) => store.write(name, sourceOf(Buffer.from('x')), { maxBytes: 1 })));
        }
        const listed = new Set<string>();
        for await (const entry of store.list()) if (entry.key.startsWith(`${group}${separator}`)) listed.add(entry.key);
        expect(listed.size).to.equal(names.length);
        await store.delete(names);
        for await (const entry of store.list()) expect(entry.key.startsWith(`${group}/`), entry.key).to.be.false;
      });

      it('reading a missing key rejects with MissingObjectError', async function () {
        expect(await rejection(store.read(key('never-written')))).to.be.instanceOf(MissingObjectError);
        expect(await rejection(store.read(key('never-written'), { start: 0, end: 10 }))).to.be.instanceOf(MissingObjectError);
        expect(t.isOutage(new MissingObjectError('x'))).to.be.false;
      });
    });

    describe('a write that fails leaves nothing behind', function () {
      it('exactly maxBytes is allowed', async function () {
        const data = randomBytes(4096);
        const stored = await store.write(key('exact'), sourceOf(data), { maxBytes: 4096 });
        expect(stored.size).to.equal(4096);
      });

      for (const [what, size, maxBytes] of [
        ['one byte over a small limit', 101, 100],
        ['far over a limit past the first parts', 30 * MiB, 10 * MiB],
      ] as const) {
        it(`${what}: 413, and the source is left open for the caller`, async function () {
          const name = key('too-large');
          const source = generated(size);
          const error = await rejection(store.write(name, source, { maxBytes }));
          expect(error).to.be.instanceOf(HttpError);
          expect((error as HttpError).status).to.equal(413);
          expect(error.message).to.equal('Payload too large');
          expect(t.isOutage(error)).to.be.false;
          expect(source.errored, 'the store failed the source').to.equal(null);
          if (!source.readableEnded) expect(source.destroyed, 'the store destroyed the source').to.be.false;
          await drain(source);
          await expectNothingLeft(name);
        });
      }

      for (const [what, failAt] of [
        ['before the first part', 3 * MiB],
        ['midway, after parts went out', 20 * MiB],
      ] as const) {
        it(`a source that errors ${what}: rejects with its error`, async function () {
          const name = key('source-error');
          const sourceError = Object.assign(new Error('client went away'), { code: 'ECONNRESET' });
          const error = await rejection(store.write(name, generated(40 * MiB, { failAt, error: sourceError }), { maxBytes: 100 * MiB }));
          expect(error).to.equal(sourceError);
          expect(t.isOutage(error), 'a client abort is no storage outage').to.be.false;
          await expectNothingLeft(name);
        });
      }
    });

    if (driver.remote) describe('a backend that cannot be used', function () {
      it('prepare() names the problem, and a write fails as an outage', async function () {
        for (const { what, store: broken, message } of t.misconfigured) {
          const prepared = await rejection(broken.prepare());
          expect(prepared.message, what).to.match(message);
          expect(t.isOutage(prepared), what).to.be.true;
          const written = await rejection(broken.write(key('broken'), sourceOf(randomBytes(1000)), { maxBytes: 1000 }));
          expect(t.isOutage(written), `${what}: ${written.name}: ${written.message}`).to.be.true;
          const read = await rejection(broken.read(key('broken')));
          expect(t.isOutage(read), `${what}: ${read.name}: ${read.message}`).to.be.true;
          // Not null: a sweep must never take "cannot look" for "not there".
          const statted = await rejection(broken.stat(key('broken')));
          expect(t.isOutage(statted), `${what}: ${statted.name}: ${statted.message}`).to.be.true;
        }
      });

      if (driver.ownsBackend) it('when it goes down, operations fail fast as an outage, and work again once it is back', async function () {
        const outage = t.outage;
        if (outage === undefined) throw new Error('this run owns the backend, yet cannot stop it');
        this.timeout(60_000);
        const name = key('outage');
        const data = randomBytes(2 * MiB);
        await store.write(name, sourceOf(data), { maxBytes: data.length });

        await outage.stop();
        try {
          const attempts: [string, () => Promise<unknown>][] = [
            ['prepare', () => store.prepare()],
            ['write', () => store.write(key('during-outage'), sourceOf(randomBytes(MiB)), { maxBytes: MiB })],
            ['multipart write', () => store.write(key('during-outage'), generated(20 * MiB), { maxBytes: 20 * MiB })],
            ['read', () => store.read(name)],
            ['ranged read', () => store.read(name, { start: 1, end: 2 })],
            ['stat', () => store.stat(name)],
            ['delete', () => store.delete([name])],
            [
              'list',
              async () => {
                for await (const entry of store.list()) void entry;
              },
            ],
          ];
          for (const [what, attempt] of attempts) {
            const started = Date.now();
            const error = await within(3_000, what, rejection(attempt()));
            expect(t.isOutage(error), `${what}: ${error.name}: ${error.message}`).to.be.true;
            expect(Date.now() - started, what).to.be.below(3_000);
          }
        } finally {
          await outage.start();
        }

        await store.prepare();
        expect((await buffer(await store.read(name))).equals(data)).to.be.true;
        const after = randomBytes(1000);
        await store.write(name, sourceOf(after), { maxBytes: 1000 });
        expect((await buffer(await store.read(name))).equals(after)).to.be.true;
      });
    });
  });
}
