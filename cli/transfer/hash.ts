import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** The SHA-256 of a file's first `length` bytes (all of them by default), as a hash that can take more. */
export async function hashOf(path: string, length?: number): Promise<Hash> {
  const hash = createHash('sha256');
  if (length === 0) return hash;
  const end = length === undefined ? undefined : length - 1;
  for await (const chunk of createReadStream(path, { end })) hash.update(chunk as Buffer);
  return hash;
}

export async function sha256OfFile(path: string): Promise<string> {
  return (await hashOf(path)).digest('hex');
}
