/**
 * download: files, and folders with everything under them, into a local folder, several at a
 * time; each resumed from a partial copy of an earlier run and checked against the service's
 * SHA-256 (transfer/fetchFile.ts). A file already there whole is not fetched again.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Api, FileItem } from '../api';
import { loggedIn, print, warn } from '../context';
import { CliError } from '../errors';
import { listFolder, type Place, resolve } from '../remote';
import { fetchFile, isThere, type Wanted } from '../transfer/fetchFile';
import { runJobs } from '../transfer/jobs';
import { TransferProgress } from '../transfer/progress';
import { Tally } from '../transfer/tally';

export interface DownloadOptions {
  output: string;
  jobs: number;
}

interface Plan {
  folders: string[];
  files: Wanted[];
}

/** A name the service allows is not always one a disk does: no separators, no `.` or `..` climbing out of the folder. */
function safeName(name: string): string {
  const flat = name.replace(/[/\\]/g, '_');
  return flat === '.' || flat === '..' ? flat.replace(/\./g, '_') : flat;
}

/**
 * The local names of one folder's children. The service lets two items of a folder share a
 * name, a disk does not: the first keeps it, the others get their id before the extension.
 */
function localNames(children: readonly FileItem[], folder: string): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const child of children) {
    let name = safeName(child.name);
    if (taken.has(name)) {
      const extension = child.type === 'folder' ? '' : path.extname(name);
      name = `${name.slice(0, name.length - extension.length)} (${child.id})${extension}`;
      warn(`${path.join(folder, safeName(child.name))}: another item has that name; this one (${child.id}) is saved as ${name}`);
    }
    taken.add(name);
    names.set(child.id, name);
  }
  return names;
}

function wantedFrom(item: FileItem, destination: string): Wanted {
  if (item.sha256 === null) warn(`${destination}: the service has no SHA-256 of this file (stored before it kept them): it will not be checked`);
  return { id: item.id, size: item.size ?? 0, sha256: item.sha256, destination };
}

/** What `place` becomes under `output`: a file, or a folder (the root: its content) and all it holds. */
async function planOf(api: Api, place: Place, output: string, plan: Plan): Promise<void> {
  if (place.item !== undefined && place.item.type !== 'folder') {
    plan.files.push(wantedFrom(place.item, path.join(output, safeName(place.item.name))));
    return;
  }
  const top = place.item === undefined ? output : path.join(output, safeName(place.item.name));
  plan.folders.push(top);
  const byParent = new Map<string, FileItem[]>();
  for (const item of await listFolder(api, place.id, { recursive: true })) {
    const parent = String(item.parentId);
    byParent.set(parent, [...(byParent.get(parent) ?? []), item]);
  }
  const visit = (folderId: string, dir: string): void => {
    const children = byParent.get(folderId) ?? [];
    const names = localNames(children, dir);
    for (const child of children) {
      const local = path.join(dir, names.get(child.id) ?? safeName(child.name));
      if (child.type === 'folder') {
        plan.folders.push(local);
        visit(child.id, local);
      } else {
        plan.files.push(wantedFrom(child, local));
      }
    }
  };
  visit(place.id, top);
}

/** A disk that refuses, or a connection cut in the middle of a body: that file failed, the others go on. */
function asFailure(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof CliError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? ((error.cause as NodeJS.ErrnoException | undefined)?.code);
  return code === undefined ? error : new CliError(`${error.message} (${code})`);
}

export async function download(url: string, specs: readonly string[], options: DownloadOptions): Promise<void> {
  const api = await loggedIn(url);
  const places: Place[] = [];
  for (const spec of specs) places.push(await resolve(api, spec));
  const plan: Plan = { folders: [options.output], files: [] };
  for (const place of places) await planOf(api, place, options.output, plan);
  for (const folder of plan.folders) await mkdir(folder, { recursive: true });

  const tally = new Tally();
  const progress = new TransferProgress('Downloading', plan.files.length, plan.files.reduce((sum, file) => sum + file.size, 0));
  const shown = (wanted: Wanted): string => path.relative(options.output, wanted.destination);
  const ended = await runJobs(plan.files, options.jobs, { tally, progress, name: (wanted) => wanted.destination }, async (wanted) => {
    try {
      if (await isThere(wanted)) {
        tally.alreadyThere += 1;
        progress.skip(wanted.size);
        return;
      }
      const bar = progress.start(shown(wanted), wanted.size);
      try {
        const { resumedFrom } = await fetchFile(api, wanted, bar);
        tally.transferred += 1;
        tally.bytes += wanted.size - resumedFrom;
        if (resumedFrom > 0) tally.resumed += 1;
      } finally {
        bar.end();
      }
    } catch (error) {
      throw asFailure(error);
    }
  });
  progress.stop();
  print(tally.summary('Downloaded', plan.files.length));
  if (ended !== undefined) throw ended;
  if (!tally.complete) throw new CliError('Not every file was downloaded: the same command again fetches the rest.');
}
