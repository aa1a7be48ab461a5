/** The files and folders an upload takes from the local disk, read before anything is sent. */
import type { Stats } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { CliError } from '../errors';

export interface LocalFile {
  path: string;
  name: string;
  size: number;
  mtimeMs: number;
  /** The folders it goes in, under the upload's target: [] for the target itself. */
  folder: readonly string[];
}

export interface LocalTree {
  /** Every folder to make under the target, each after its parent. */
  folders: (readonly string[])[];
  files: LocalFile[];
}

function unreadable(file: string, error: unknown): CliError {
  const code = (error as NodeJS.ErrnoException).code;
  return new CliError(code === 'ENOENT' ? `No such file or folder: ${file}` : `Cannot read ${file} (${code ?? String(error)})`);
}

async function statOf(file: string): Promise<Stats> {
  try {
    return await stat(file);
  } catch (error) {
    throw unreadable(file, error);
  }
}

/**
 * A folder's files before its subfolders, each in name order, so that a run goes through a tree
 * in the order a listing shows it. Symbolic links are followed, once: a link back up is skipped.
 */
async function walk(dir: string, folder: readonly string[], tree: LocalTree, seen: Set<string>, skipped: (what: string) => void): Promise<void> {
  const real = await realpath(dir);
  if (seen.has(real)) {
    skipped(`${dir}: a link to a folder already being uploaded`);
    return;
  }
  seen.add(real);
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (error) {
    throw unreadable(dir, error);
  }
  const subfolders: string[] = [];
  for (const name of names) {
    const full = path.join(dir, name);
    const info = await statOf(full);
    if (info.isDirectory()) subfolders.push(name);
    else if (info.isFile()) tree.files.push({ path: full, name, size: info.size, mtimeMs: info.mtimeMs, folder });
    else skipped(`${full}: not a file or a folder`);
  }
  for (const name of subfolders) {
    const inner = [...folder, name];
    tree.folders.push(inner);
    await walk(path.join(dir, name), inner, tree, seen, skipped);
  }
}

/** A file goes into the target; a folder, with everything under it, becomes a folder of the target. */
export async function readSources(sources: readonly string[], skipped: (what: string) => void): Promise<LocalTree> {
  const tree: LocalTree = { folders: [], files: [] };
  const seen = new Set<string>();
  for (const source of sources) {
    const full = path.resolve(source);
    const info = await statOf(full);
    const name = path.basename(full);
    if (info.isFile()) {
      tree.files.push({ path: full, name, size: info.size, mtimeMs: info.mtimeMs, folder: [] });
    } else if (info.isDirectory()) {
      if (name === '') throw new CliError(`Cannot upload the whole disk (${source}): name a folder in it`);
      tree.folders.push([name]);
      await walk(full, [name], tree, seen, skipped);
    } else {
      throw new CliError(`Not a file or a folder: ${source}`);
    }
  }
  return tree;
}
