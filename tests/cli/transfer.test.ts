import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { request } from '../../scripts/lib/client';
import { waitUntil } from '../../scripts/lib/wait';
import { cli, cliHarness, cliOk, finished, loggedInUser, setQuota, startCli, tempDir } from './kit';
import { Relay } from './relay';

/**
 * upload and download against the real service, through a relay that counts the bytes (what a
 * resumed transfer really sent) and can slow them, so that an upload can be killed half-way.
 */

const MIB = 1024 * 1024;
const BIG = 24 * MIB;
const SMALL_FILES = 198;

interface Item {
  id: string;
  name: string;
  type: string;
  parentId: string | number;
  size: number | null;
  sha256: string | null;
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Every file under `dir`, by its path relative to `dir`. */
function filesUnder(dir: string, prefix = ''): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const relative = path.join(prefix, entry.name);
    if (entry.isDirectory()) for (const [name, bytes] of filesUnder(path.join(dir, entry.name), relative)) found.set(name, bytes);
    else found.set(relative, readFileSync(path.join(dir, entry.name)));
  }
  return found;
}

/** A folder of 200 files: a large one at its top, a small image, and small files (one empty) two folders deep. */
async function makeAlbum(): Promise<string> {
  const album = path.join(tempDir('album'), 'album');
  mkdirSync(album);
  writeFileSync(path.join(album, 'big.bin'), randomBytes(BIG));
  for (let index = 0; index < SMALL_FILES; index += 1) {
    const folder = path.join(album, `d${index % 4}`, `e${Math.floor(index / 4) % 5}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, `f${index}.txt`), randomBytes((index * 37) % 4096));
  }
  const { default: sharp } = await import('sharp');
  await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 40, b: 90 } } })
    .png()
    .toFile(path.join(album, 'd0', 'photo.png'));
  return album;
}

/** The largest unfinished resumable upload the server holds (local driver: FOLDER_PATH/.uploads). */
async function largestStaged(): Promise<number> {
  const staging = path.join(cliHarness().folderPath, '.uploads');
  const names = await readdir(staging).catch(() => []);
  const sizes = await Promise.all(names.map((name) => stat(path.join(staging, name)).then((info) => info.size, () => 0)));
  return Math.max(0, ...sizes);
}

/** Everything the user has, with sizes and hashes, through the API. */
async function everything(token: string): Promise<Item[]> {
  const reply = await request('GET', `${cliHarness().baseUrl}/files?recursive=true&limit=1000&fields=all`, { headers: { 'X-Token': token } });
  expect(reply.status, reply.text).to.equal(200);
  return JSON.parse(reply.text) as Item[];
}

const SUMMARY = /^(Uploaded|Downloaded) (\d+) of (\d+) files? \(.* (\d+) resumed\); (\d+) already there; (\d+) failed(?:; (\d+) not tried)?\.$/m;

interface Summary {
  transferred: number;
  files: number;
  resumed: number;
  alreadyThere: number;
  failed: number;
  notTried: number;
}

function summaryOf(stdout: string): Summary {
  const match = SUMMARY.exec(stdout);
  expect(match, stdout).to.not.equal(null);
  const [transferred, files, resumed, alreadyThere, failed, notTried] = (match ?? []).slice(2).map((value) => Number(value ?? 0));
  return { transferred: transferred ?? NaN, files: files ?? NaN, resumed: resumed ?? NaN, alreadyThere: alreadyThere ?? NaN, failed: failed ?? NaN, notTried: notTried ?? NaN };
}

describe('cli: upload and download', function () {
  this.timeout(240_000);
  this.slow(60_000);
  let relay: Relay;

  beforeEach(async () => {
    relay = await Relay.start(cliHarness().baseUrl);
  });

  afterEach(async () => {
    await relay.close();
  });

  it('uploads a folder of 200 files, killed half-way through a large file, finished by the same command without duplicates, then downloads it byte for byte', async () => {
    const album = await makeAlbum();
    const local = filesUnder(album);
    expect(local.size).to.equal(200);
    const { account, options } = await loggedInUser(relay.url);
    const args = ['upload', album, '--to', '/backup'];

    // Slowed down, so the run is still sending the large file when it is killed.
    relay.bytesPerSecond = 4 * MIB;
    const first = startCli(args, options);
    const killed = finished(first);
    await waitUntil('a quarter of big.bin on the server', async () => (await largestStaged()) >= BIG / 4, 90_000, 20);
    first.kill('SIGKILL');
    expect((await killed).code, 'killed').to.equal(null);
    const staged = await largestStaged();
    expect(staged, 'bytes of big.bin on the server').to.be.within(BIG / 4, BIG - 1);
    const arrived = (await everything(account.token)).filter((item) => item.type !== 'folder');
    expect(arrived.length, 'files complete on the server when it was killed').to.be.within(1, 199);

    relay.bytesPerSecond = null;
    const sentBefore = relay.up;
    const rerun = await cliOk(args, options);
    const summary = summaryOf(rerun.stdout);
    expect(summary.files).to.equal(200);
    expect(summary.failed).to.equal(0);
    expect(summary.transferred + summary.alreadyThere, 'every file uploaded or already there').to.equal(200);
    expect(summary.alreadyThere, 'files skipped: already there with the same SHA-256').to.be.at.least(arrived.length);
    expect(summary.resumed, 'big.bin, at least, carried on').to.be.at.least(1);
    expect(relay.up - sentBefore, 'bytes sent by the second run: not big.bin again whole').to.be.below(BIG - staged + 2 * MIB);
    expect(await largestStaged(), 'the partial upload, now a file').to.be.below(MIB);

    const stored = await everything(account.token);
    const files = stored.filter((item) => item.type !== 'folder');
    expect(files, 'each file once').to.have.length(200);
    expect(new Set(stored.map((item) => `${item.parentId}/${item.name}`)).size, 'no two items of one name in a folder').to.equal(stored.length);
    expect(stored.filter((item) => item.type === 'folder'), 'backup, album, d0-d3 and 20 folders under them').to.have.length(26);
    expect(files.map((item) => item.sha256).sort()).to.deep.equal([...local.values()].map(sha256).sort());
    expect(files.find((item) => item.name === 'photo.png')?.type).to.equal('image');
    expect(summaryOf((await cliOk(args, options)).stdout).alreadyThere, 'a third run: nothing to send').to.equal(200);

    const out = tempDir('out');
    const downloaded = summaryOf((await cliOk(['download', '/backup/album', '-o', out], options)).stdout);
    expect(downloaded).to.include({ transferred: 200, files: 200, failed: 0 });
    const copy = filesUnder(path.join(out, 'album'));
    expect([...copy.keys()].sort()).to.deep.equal([...local.keys()].sort());
    for (const [name, bytes] of local) expect(copy.get(name)?.equals(bytes), name).to.equal(true);
  });

  it('resumes a partial download with Range, and starts again a partial copy that is damaged', async () => {
    const { account, options } = await loggedInUser(relay.url);
    const content = randomBytes(6 * MIB + 123);
    const created = await request('POST', `${cliHarness().baseUrl}/files?name=video.bin&type=file`, { headers: { 'X-Token': account.token, 'Content-Type': 'application/octet-stream' }, body: content });
    expect(created.status, created.text).to.equal(201);
    const out = tempDir('out');
    const target = path.join(out, 'video.bin');
    const half = 3 * MIB;

    writeFileSync(`${target}.fm-partial`, content.subarray(0, half));
    const before = relay.down;
    const resumed = summaryOf((await cliOk(['download', '/video.bin', '-o', out], options)).stdout);
    expect(resumed).to.include({ transferred: 1, resumed: 1 });
    expect(relay.down - before, 'bytes received: the rest only').to.be.below(content.length - half + 64 * 1024);
    expect(readFileSync(target).equals(content)).to.equal(true);
    expect(readdirSync(out), 'no partial file left').to.deep.equal(['video.bin']);

    expect(summaryOf((await cliOk(['download', '/video.bin', '-o', out], options)).stdout).alreadyThere, 'whole already').to.equal(1);

    writeFileSync(target, '');
    writeFileSync(`${target}.fm-partial`, randomBytes(half));
    await cliOk(['download', '/video.bin', '-o', out], options);
    expect(readFileSync(target).equals(content), 'the damaged part replaced').to.equal(true);
    expect(statSync(target).size).to.equal(content.length);
  });

  it('uploads a file public with --public, into a folder --to makes', async () => {
    const { options } = await loggedInUser(relay.url);
    const file = path.join(tempDir('public'), 'hello.txt');
    writeFileSync(file, 'Hello Webstack!\n');
    await cliOk(['upload', file, '--to', '/pub/2026', '--public'], options);
    const [uploaded] = JSON.parse((await cliOk(['ls', '--json', '/pub/2026'], options)).stdout) as (Item & { isPublic: boolean })[];
    expect(uploaded).to.include({ name: 'hello.txt', type: 'file', isPublic: true, size: 16 });
    expect((await request('GET', `${cliHarness().baseUrl}/files/${uploaded?.id ?? ''}/data`)).text, 'with no token').to.equal('Hello Webstack!\n');
  });

  it('stops at once on a full quota, with the figures, a non-zero status and nothing stored', async () => {
    const { account, options } = await loggedInUser(relay.url);
    await setQuota(account.email, 100_000);
    const folder = tempDir('quota');
    for (let index = 0; index < 8; index += 1) writeFileSync(path.join(folder, `part${index}.bin`), randomBytes(30_000));
    const result = await cli(['upload', folder, '--jobs', '2'], options);
    expect(result.code, result.stderr).to.equal(1);
    expect(result.stderr).to.include('Quota exceeded (507)').and.to.match(/\d+(\.\d)? KiB used of 97\.7 KiB/);
    expect(result.elapsedMs, 'no retries of the refusal').to.be.below(15_000);
    const summary = summaryOf(result.stdout);
    expect(summary.transferred, 'the files that fit').to.equal(3);
    expect(summary.failed, 'refused').to.be.at.least(1);
    expect(summary.transferred + summary.failed + summary.notTried, 'the others not even tried').to.equal(8);
    const stored = (await everything(account.token)).filter((item) => item.type !== 'folder');
    expect(stored, 'only the files that fit').to.have.length(3);
  });
});
