import { createHash, type Hash } from 'node:crypto';

/**
 * The SHA-256 of each upload so far, kept by the server that received its bytes, so the request
 * that completes an upload knows the file's digest without reading it back. Node cannot save a
 * hash's state, so an upload continued on another server, or after a restart, has none here; its
 * finished file is read once to hash it. A hash is used only at the exact offset it covers.
 */

/** About 400 bytes each; past this the least recently used go, and their uploads are read back at the end. */
const MAX_KEPT = 10_000;

const running = new Map<string, { offset: number; hash: Hash }>();

/** A hash of the first `offset` bytes of upload `id`, the caller's own to update; undefined when none is known. */
export function resumeHash(id: string, offset: number): Hash | undefined {
  if (offset === 0) return createHash('sha256');
  const kept = running.get(id);
  return kept?.offset === offset ? kept.hash.copy() : undefined;
}

/** `hash` now covers the first `offset` bytes; undefined when what it saw is not exactly what was stored. */
export function keepHash(id: string, offset: number, hash: Hash | undefined): void {
  running.delete(id);
  if (hash === undefined) return;
  running.set(id, { offset, hash });
  if (running.size > MAX_KEPT) running.delete(running.keys().next().value as string);
}

export function forgetHash(id: string): void {
  running.delete(id);
}
