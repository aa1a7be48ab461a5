/**
 * upload: files and folders (recreated, recursively) into a folder of the service, each through
 * the resumable protocol, several at a time. A file already there (same name, same SHA-256, same
 * folder) is not sent again, and one interrupted carries on where it stopped: running the same
 * command again finishes an interrupted run.
 */
import type { Api } from '../api';
import { loggedIn, print, warn } from '../context';
import { ApiError, CliError, QUOTA_EXCEEDED } from '../errors';
import { formatSize } from '../format';
import { ensureFolder } from '../remote';
import { sha256OfFile } from '../transfer/hash';
import { runJobs } from '../transfer/jobs';
import { type LocalFile, readSources } from '../transfer/localTree';
import { TransferProgress } from '../transfer/progress';
import { RemoteFolders } from '../transfer/remoteFolders';
import { Tally } from '../transfer/tally';
import { type Destination, fingerprintOf, sendFile } from '../transfer/tusUpload';
import { UrlStore } from '../transfer/urlStore';

export interface UploadOptions {
  to: string;
  public: boolean;
  jobs: number;
}

/** The service computed the SHA-256 of what it stored: it must be the local file's. */
async function verify(api: Api, fileId: string, sha256: string): Promise<void> {
  const stored = await api.call(api.client.GET('/files/{id}', { params: { path: { id: fileId }, query: { fields: 'all' } } }));
  if ('sha256' in stored && stored.sha256 === sha256) return;
  await api.send(api.client.DELETE('/files/{id}', { params: { path: { id: fileId } } }));
  throw new CliError(`the server's copy differs from the file (was it changed while it was sent?); the copy went to the trash`);
}

/** A full quota, with the figures that say how full. */
async function explain(api: Api, error: CliError): Promise<CliError> {
  if (!(error instanceof ApiError && error.status === QUOTA_EXCEEDED)) return error;
  const usage = await api.call(api.client.GET('/users/me/usage')).catch(() => undefined);
  const figures = usage === undefined || usage.quota === null ? '' : `: ${formatSize(usage.used)} used of ${formatSize(usage.quota)} (${formatSize(usage.trash)} in the trash)`;
  return new CliError(`${error.message}${figures}. Make room (files-manager rm, then files-manager trash empty) or ask for a larger quota.`);
}

export async function upload(url: string, sources: readonly string[], options: UploadOptions): Promise<void> {
  const api = await loggedIn(url);
  const tree = await readSources(sources, (what) => warn(`skipped ${what}`));
  const target = await ensureFolder(api, options.to);
  const folders = new RemoteFolders(api, target);
  for (const folder of tree.folders) await folders.ensure(folder);

  const store = new UrlStore();
  const tally = new Tally();
  const progress = new TransferProgress('Uploading', tree.files.length, tree.files.reduce((sum, file) => sum + file.size, 0));
  const remotePath = (file: LocalFile): string => [target.path === '/' ? '' : target.path, ...file.folder, file.name].join('/');
  const ended = await runJobs(tree.files, options.jobs, { tally, progress, name: (file) => file.path }, async (file) => {
    const parent = folders.place(file.folder);
    const destination: Destination = { parentId: parent.id, isPublic: options.public };
    const sha256 = await sha256OfFile(file.path);
    const there = (await folders.children(parent)).some((item) => item.type !== 'folder' && item.name === file.name && item.sha256 === sha256);
    if (there) {
      await store.forget(fingerprintOf(api, file, destination));
      tally.alreadyThere += 1;
      progress.skip(file.size);
      return;
    }
    const bar = progress.start(remotePath(file), file.size);
    try {
      const sent = await sendFile(api, file, destination, store, bar);
      await verify(api, sent.fileId, sha256);
      tally.transferred += 1;
      tally.bytes += file.size - sent.resumedFrom;
      if (sent.resumedFrom > 0) tally.resumed += 1;
    } finally {
      bar.end();
    }
  });
  progress.stop();
  print(tally.summary('Uploaded', tree.files.length));
  if (ended !== undefined) throw await explain(api, ended);
  if (!tally.complete) throw new CliError('Not every file was uploaded: the same command again sends the rest.');
}
