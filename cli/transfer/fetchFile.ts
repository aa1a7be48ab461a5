/**
 * One file from the service to the disk: into `<name>.fm-partial` beside its destination, resumed
 * from the partial file's length with `Range` (and `If-Range`, so a file changed on the server
 * meanwhile starts over), hashed on the way, and renamed into place only when its SHA-256 is the
 * service's.
 */
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Api } from '../api';
import { CliError } from '../errors';
import { hashOf } from './hash';
import type { FileProgress } from './progress';

const PARTIAL_SUFFIX = '.fm-partial';

export interface Wanted {
  id: string;
  size: number;
  /** null for a file stored before the service kept hashes: not resumed, not checked. */
  sha256: string | null;
  destination: string;
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The destination already holds exactly this content. */
export async function isThere(wanted: Wanted): Promise<boolean> {
  if (wanted.sha256 === null || (await sizeOf(wanted.destination)) !== wanted.size) return false;
  return (await hashOf(wanted.destination)).digest('hex') === wanted.sha256;
}

export interface Fetched {
  /** The bytes the partial file already had from an earlier run. */
  resumedFrom: number;
}

/**
 * GET the content from byte `from` on into the partial file, hashed after `prefix` (the hash of
 * its first `from` bytes). Anything but 206 is the whole content (If-Range found the file changed
 * since the partial copy began), which replaces the partial file, with a hash of its own.
 */
async function receive(api: Api, wanted: Wanted, partial: string, from: number, prefix: Hash, progress: FileProgress): Promise<{ start: number; hash: Hash }> {
  const range = from > 0 ? { Range: `bytes=${from}-`, 'If-Range': `"${wanted.sha256}"` } : undefined;
  const { data, response } = await api.answer(api.client.GET('/files/{id}/data', { params: { path: { id: wanted.id } }, headers: range, parseAs: 'stream' }));
  const start = response.status === 206 ? from : 0;
  const hash = start > 0 ? prefix : createHash('sha256');
  if (start > 0) progress.resumedFrom(start);
  let position = start;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      position += chunk.length;
      progress.moveTo(position);
      done(null, chunk);
    },
  });
  // An empty body comes as no stream at all.
  const body = data === null || data === undefined ? Readable.from([]) : Readable.fromWeb(data as WebReadableStream<Uint8Array>);
  await pipeline(body, tap, createWriteStream(partial, { flags: start > 0 ? 'a' : 'w' }));
  return { start, hash };
}

export async function fetchFile(api: Api, wanted: Wanted, progress: FileProgress, again = false): Promise<Fetched> {
  const partial = `${wanted.destination}${PARTIAL_SUFFIX}`;
  const kept = (await sizeOf(partial)) ?? 0;
  // Longer than the file, it is not a copy of it; without a hash, nothing could tell.
  const have = kept <= wanted.size && wanted.sha256 !== null ? kept : 0;
  let hash = await hashOf(partial, have);
  let resumedFrom = have;
  if (have < wanted.size || wanted.size === 0) ({ start: resumedFrom, hash } = await receive(api, wanted, partial, have, hash, progress));
  if (wanted.sha256 !== null && hash.digest('hex') !== wanted.sha256) {
    await rm(partial, { force: true });
    // A partial file of an earlier run was damaged: the whole file again, once.
    if (!again && resumedFrom > 0) return fetchFile(api, wanted, progress, true);
    throw new CliError(`the bytes received do not have the server's SHA-256 ${wanted.sha256}; nothing was kept`);
  }
  await rename(partial, wanted.destination);
  return { resumedFrom };
}
