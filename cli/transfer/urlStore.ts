/**
 * Where tus-js-client keeps the address of each unfinished upload, so that running the same
 * upload again carries on from the server's offset: `uploads.json` in the config directory.
 * tus-js-client's own FileUrlStorage would do, but a busy lock there leaves an upload waiting
 * forever (its caller does not catch the failure), and 4 uploads at once make locks busy. Here
 * every change is one read-modify-write of the file, one at a time: within this process nothing
 * is lost, and two runs at once lose at most an address, whose upload then starts over.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type * as tus from 'tus-js-client';
import { configDir, readJsonFile, writePrivateFile } from '../config';

type Entry = tus.PreviousUpload & { fingerprint: string };
type Entries = Record<string, Entry>;

export class UrlStore implements tus.UrlStorage {
  private readonly file = path.join(configDir(), 'uploads.json');
  private queue: Promise<unknown> = Promise.resolve();

  findAllUploads(): Promise<tus.PreviousUpload[]> {
    return this.read().then((entries) => Object.values(entries));
  }

  findUploadsByFingerprint(fingerprint: string): Promise<tus.PreviousUpload[]> {
    return this.read().then((entries) => Object.values(entries).filter((entry) => entry.fingerprint === fingerprint));
  }

  removeUpload(key: string): Promise<void> {
    return this.change((entries) => {
      delete entries[key];
    });
  }

  addUpload(fingerprint: string, upload: tus.PreviousUpload): Promise<string> {
    const key = `tus::${fingerprint}::${randomBytes(6).toString('hex')}`;
    return this.change((entries) => {
      entries[key] = { ...upload, urlStorageKey: key, fingerprint };
    }).then(() => key);
  }

  /** Every address kept for this file: it is on the server whole, none is needed any more. */
  forget(fingerprint: string): Promise<void> {
    return this.change((entries) => {
      for (const [key, entry] of Object.entries(entries)) if (entry.fingerprint === fingerprint) delete entries[key];
    });
  }

  private async read(): Promise<Entries> {
    const parsed = await readJsonFile(this.file);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Entries) : {};
  }

  private change(edit: (entries: Entries) => void): Promise<void> {
    const next = this.queue.then(async () => {
      const entries = await this.read();
      edit(entries);
      await writePrivateFile(this.file, JSON.stringify(entries));
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
