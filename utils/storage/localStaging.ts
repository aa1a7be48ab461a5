import { close, constants, createWriteStream, fstat, ftruncate, open } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { type LocalStore, WRITE_BUFFER_BYTES } from './localStore';
import type { Appended, Staging, StagingStore } from './staging';

const openDescriptor = promisify(open);
const closeDescriptor = promisify(close);
const truncateDescriptor = promisify(ftruncate);
const statDescriptor = promisify(fstat);

/**
 * A folder of FOLDER_PATH: the store's listing reads only FOLDER_PATH's own files, so the
 * consistency checker and the sweep never take an upload in progress for garbage, and a finished
 * upload is renamed into place on the same file system, without a copy.
 */
export const LOCAL_STAGING_FOLDER = '.uploads';

/** Each upload grows in one file under FOLDER_PATH/.uploads, named by its key. */
export class LocalStaging implements StagingStore {
  constructor(private readonly store: LocalStore) {}

  private stagedPath(key: string): string {
    return path.join(this.store.folder, LOCAL_STAGING_FOLDER, key);
  }

  empty(key: string): Staging {
    return { driver: 'local', key };
  }

  async append(state: Staging, offset: number, _length: number, body: Readable): Promise<Appended> {
    const file = this.stagedPath(state.key);
    if (offset === 0) await fs.mkdir(path.dirname(file), { recursive: true });
    // Past the first byte the file must be there: creating it afresh would pad it with zeros.
    const flags = offset === 0 ? constants.O_RDWR | constants.O_CREAT : constants.O_RDWR;
    const fd = await openDescriptor(file, flags);
    try {
      const { size } = await statDescriptor(fd);
      // Shorter than the offset, the file lost bytes the document counts: extending it would fill them with zeros.
      if (size < offset) throw new Error(`the staged upload ${file} is shorter than its offset ${offset}`);
      // What a refused or interrupted request wrote past the offset is not part of the upload.
      if (size > offset) await truncateDescriptor(fd, offset);
    } catch (error) {
      await closeDescriptor(fd);
      throw error;
    }
    const output = createWriteStream('', { fd, start: offset, highWaterMark: WRITE_BUFFER_BYTES });
    let error: Error | undefined;
    try {
      await pipeline(body, output);
    } catch (failure) {
      // The disk's own failures are thrown; the body's end the request with what it wrote.
      if ((failure as NodeJS.ErrnoException).syscall !== undefined) throw failure;
      error = failure as Error;
    }
    // A write under way when the body failed still lands and counts. Not events.once: the
    // stream's own 'error' (the body's, passed on by pipeline) would reject it before 'close'.
    if (!output.closed) await new Promise<void>((resolve) => output.once('close', () => resolve()));
    return { state, written: output.bytesWritten, error };
  }

  async release(): Promise<void> {
    // One file per upload, truncated to the offset on the next append.
  }

  async complete(state: Staging, length: number): Promise<void> {
    const target = this.store.localPath(state.key);
    try {
      await fs.rename(this.stagedPath(state.key), target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      // Renamed by an earlier attempt that did not live to record it; or empty, never written.
      if ((await this.store.stat(state.key)) !== null) return;
      if (length > 0) throw error;
      await fs.writeFile(target, '', { flag: 'wx' });
    }
  }

  async discard(state: Staging): Promise<void> {
    await fs.rm(this.stagedPath(state.key), { force: true });
  }
}
