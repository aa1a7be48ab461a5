import { randomBytes } from 'node:crypto';
import { close, createReadStream, createWriteStream, open } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { v4 as uuidv4 } from 'uuid';
import { isProcessRunning } from '../lifecycle';
import { log } from '../log';
import { meter, MissingObjectError, type ByteRange, type ByteStore, type ObjectEntry, type ObjectStat, STORE_MARKER_KEY, type StoredBytes, type WriteOptions } from './byteStore';

/**
 * Streams over plain descriptors: a stream over a FileHandle reads and writes through
 * promises, measured here about 1.6 times slower for reads.
 */
const openDescriptor = promisify(open);
const closeDescriptor = promisify(close);
const PARTIAL_SUFFIX = '.partial';
const PARTIAL_NAME = /\.(\d+)\.[0-9a-f]+\.partial$/;
/** Large reads cost fewer system calls and event-loop turns per MiB than the default 64 KiB. */
const READ_CHUNK_BYTES = 512 * 1024;
/**
 * With the default 16 KiB a write stream pushes back after every chunk, so chunks reach the disk
 * one trip at a time; with room for 256 KiB those that arrive during a write go down together in
 * one writev. Measured here, median of 9 over HTTP: a base64 JSON upload (small decoded chunks)
 * of 100 MiB in 261 ms instead of 392, raw uploads unchanged. 1 MiB gained nothing more, and kept
 * chunks alive long enough to add garbage-collection time.
 */
export const WRITE_BUFFER_BYTES = 256 * 1024;

/** The writer's pid is in the name so a sweep can tell an abandoned file from one being written. */
function partialPath(finalPath: string): string {
  return `${finalPath}.${process.pid}.${randomBytes(6).toString('hex')}${PARTIAL_SUFFIX}`;
}

const isMissing = (error: unknown): boolean => ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '');

/**
 * Bytes in one flat folder (FOLDER_PATH) under uuid names. A key is a name in the folder;
 * documents keep the file's absolute path as `localPath`, as the contract has it (and an
 * absolute path works as a key too, for documents imported from elsewhere). Every write goes to
 * a `.partial` name first and is renamed into place, so a reader sees a whole file or none.
 */
export class LocalStore implements ByteStore {
  readonly driver = 'local';

  constructor(readonly folder: string) {}

  get location(): string {
    return `FOLDER_PATH ${this.folder}`;
  }

  newKey(): string {
    return uuidv4();
  }

  /** Where the file of `key` is; what documents record as `localPath`. */
  localPath(key: string): string {
    return path.resolve(this.folder, key);
  }

  pathOnDisk(key: string): string {
    return this.localPath(key);
  }

  /** The key of a document's `localPath`: its name when it lies in the folder. */
  keyOf(localPath: string): string {
    return path.dirname(localPath) === this.folder ? path.basename(localPath) : localPath;
  }

  /** Also clears what writers that died left behind. */
  async prepare(): Promise<void> {
    await fs.mkdir(this.folder, { recursive: true });
    await fs.access(this.folder, fs.constants.W_OK);
    await this.sweepAbandoned();
  }

  /** `source` is piped, never destroyed: it may be a request the caller still has to answer. */
  async write(key: string, source: Readable, options: WriteOptions): Promise<StoredBytes> {
    const target = this.localPath(key);
    const counted = meter(options);
    // Its failure reaches the pipeline below, or, before that has begun, `failure`.
    counted.stream.on('error', () => undefined);
    const partial = partialPath(target);
    let failure: Error | undefined;
    const fail = (error: Error): void => {
      failure ??= error;
      counted.stream.destroy(error);
    };
    // Listening from the start: the source may fail while the file is being opened.
    source.once('error', fail);
    try {
      // Opened before any byte flows: a write stream that opened lazily could create the file
      // after a failure had already removed it, and leave it behind.
      const fd = await openDescriptor(partial, 'wx');
      if (failure !== undefined) {
        await closeDescriptor(fd);
        throw failure;
      }
      source.pipe(counted.stream);
      await pipeline(counted.stream, createWriteStream('', { fd, highWaterMark: WRITE_BUFFER_BYTES }));
      await fs.rename(partial, target);
    } catch (error) {
      await fs.rm(partial, { force: true });
      throw error;
    } finally {
      source.unpipe(counted.stream);
      source.off('error', fail);
    }
    return counted.result();
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    let fd: number;
    try {
      fd = await openDescriptor(this.localPath(key), 'r');
    } catch (error) {
      if (isMissing(error)) throw new MissingObjectError(`no file at ${key}`);
      throw error;
    }
    return createReadStream('', { fd, start: range?.start, end: range?.end, highWaterMark: READ_CHUNK_BYTES });
  }

  async stat(key: string): Promise<ObjectStat | null> {
    try {
      const stats = await fs.stat(this.localPath(key));
      return stats.isFile() ? { size: stats.size, modified: stats.mtime } : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((key) => fs.rm(this.localPath(key), { force: true })));
  }

  async *list(): AsyncIterable<ObjectEntry> {
    // opendir reads the folder a batch at a time, so a million files never sit in one array.
    for await (const entry of await fs.opendir(this.folder)) {
      if (!entry.isFile() || entry.name.endsWith(PARTIAL_SUFFIX) || entry.name === STORE_MARKER_KEY) continue;
      const stats = await this.stat(entry.name);
      if (stats !== null) yield { key: entry.name, ...stats };
    }
  }

  async pendingWrites(): Promise<string[]> {
    const names: string[] = [];
    for await (const entry of await fs.opendir(this.folder)) if (entry.name.endsWith(PARTIAL_SUFFIX)) names.push(entry.name);
    return names.sort();
  }

  /** A local folder is there or not at start-up, where prepare() says so. */
  isAvailable(): boolean {
    return true;
  }

  /**
   * Deletes `.partial` files left by processes that died mid-write (a SIGKILL during an
   * upload or a thumbnail). Files of live writers are left alone. Assumes FOLDER_PATH is
   * local to this machine: pids from another host would mean nothing.
   */
  async sweepAbandoned(): Promise<number> {
    let removed = 0;
    for await (const entry of await fs.opendir(this.folder)) {
      const pid = PARTIAL_NAME.exec(entry.name)?.[1];
      if (pid === undefined || isProcessRunning(Number(pid))) continue;
      await fs.rm(path.join(this.folder, entry.name), { force: true });
      removed += 1;
    }
    if (removed > 0) log.info(`removed ${removed} partial file(s) left by stopped processes`);
    return removed;
  }

  async close(): Promise<void> {
    // Nothing is held open between calls.
  }
}
