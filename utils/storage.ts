import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { finished, PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { v4 as uuidv4 } from 'uuid';
import { config } from './config';
import { HttpError } from './errors';
import { log } from './log';

/**
 * File bytes live flat in FOLDER_PATH under uuid names; thumbnails sit beside them as
 * `<name>_<width>`. Every write goes to a `.partial` name first and is renamed into place,
 * so a reader sees a whole file or none.
 */
export const THUMBNAIL_WIDTHS = [500, 250, 100] as const;
export type ThumbnailWidth = (typeof THUMBNAIL_WIDTHS)[number];

export interface StoredBlob {
  localPath: string;
  size: number;
  sha256: string;
}

const PARTIAL_SUFFIX = '.partial';

export const payloadTooLarge = (): HttpError => new HttpError(413, 'Payload too large');

/** The client is gone and will never read it; an HttpError keeps it out of the server-error log. */
const uploadAborted = (): HttpError => new HttpError(400, 'Upload aborted');

export function thumbnailPath(localPath: string, width: ThumbnailWidth): string {
  return `${localPath}_${width}`;
}

/** The writer's pid is in the name so a sweep can tell an abandoned file from one being written. */
function partialPath(finalPath: string): string {
  return `${finalPath}.${process.pid}.${randomBytes(6).toString('hex')}${PARTIAL_SUFFIX}`;
}

export async function prepareFolder(): Promise<void> {
  await fs.mkdir(config().folderPath, { recursive: true });
}

/** Runs `write` against a temporary path and renames the result to `finalPath`. */
export async function writeAtomically(finalPath: string, write: (partial: string) => Promise<void>): Promise<void> {
  const partial = partialPath(finalPath);
  try {
    await write(partial);
    await fs.rename(partial, finalPath);
  } catch (error) {
    await fs.rm(partial, { force: true });
    throw error;
  }
}

function newBlobPath(): string {
  return path.join(config().folderPath, uuidv4());
}

export async function storeBuffer(data: Buffer): Promise<StoredBlob> {
  const localPath = newBlobPath();
  await writeAtomically(localPath, (partial) => fs.writeFile(partial, data, { flag: 'wx' }));
  return { localPath, size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}

/**
 * Streams `source` to disk, hashing on the way; memory stays flat whatever the size. Over
 * `maxBytes` it stops writing, removes what it wrote and throws 413.
 *
 * `source` is piped, never destroyed: destroying a request closes its socket before the error
 * response can be sent. When the write fails, the rest of `source` is read and dropped.
 */
export async function storeStream(source: Readable, maxBytes: number): Promise<StoredBlob> {
  const localPath = newBlobPath();
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > maxBytes) {
        callback(payloadTooLarge());
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const input = new PassThrough();
  // A client that disconnects mid-body fails the write, and writeAtomically removes the partial file.
  const stopWatching = finished(source, (error) => {
    if (error) input.destroy(uploadAborted());
  });
  source.pipe(input);
  try {
    await writeAtomically(localPath, (partial) => pipeline(input, meter, createWriteStream(partial, { flags: 'wx' })));
  } catch (error) {
    source.unpipe(input);
    source.resume();
    throw error;
  } finally {
    stopWatching();
  }
  return { localPath, size, sha256: hash.digest('hex') };
}

/** Removes a file's bytes and its thumbnails; missing ones are fine. */
export async function removeBlob(localPath: string): Promise<void> {
  const paths = [localPath, ...THUMBNAIL_WIDTHS.map((width) => thumbnailPath(localPath, width))];
  await Promise.all(paths.map((target) => fs.rm(target, { force: true })));
}

export async function fileExists(target: string): Promise<boolean> {
  try {
    return (await fs.stat(target)).isFile();
  } catch {
    return false;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes `.partial` files left by processes that died mid-write (a SIGKILL during an upload
 * or a thumbnail). Files of live writers are left alone. Assumes FOLDER_PATH is local to
 * this machine: pids from another host would mean nothing.
 */
export async function sweepPartialFiles(): Promise<number> {
  const folder = config().folderPath;
  let removed = 0;
  for (const entry of await fs.readdir(folder)) {
    const match = /\.(\d+)\.[0-9a-f]+\.partial$/.exec(entry);
    if (match?.[1] === undefined || isRunning(Number(match[1]))) continue;
    await fs.rm(path.join(folder, entry), { force: true });
    removed += 1;
  }
  if (removed > 0) log.info(`removed ${removed} partial file(s) left by stopped processes`);
  return removed;
}
