import type { ObjectId } from 'mongodb';
import type { FileDoc } from '../db';
import { badRequest, MESSAGES, notFound } from '../errors';
import { thumbnailKey, type ThumbnailWidth } from '../storage/byteStore';
import { blobOf, type Blob } from '../storage/stores';
import { findFile } from './store';

export interface ReadableContent {
  file: FileDoc;
  /** The original, or its thumbnail. */
  blob: Blob;
  /** Set when a thumbnail was asked for. */
  width?: ThumbnailWidth;
}

/**
 * Who asks for the bytes: whoever X-Token names, looked up while the file is, so a private
 * download waits for one database round trip instead of two; or the holder of a URL the
 * owner signed (its signature already checked), who reads as the owner would.
 */
export type Reader = { viewer: () => Promise<ObjectId | undefined> } | 'signed';

/** The bytes of `file` (not a folder), or of its thumbnail of `width`. */
export function contentOf(file: FileDoc, width: ThumbnailWidth | undefined): ReadableContent {
  if (file.type === 'folder') throw badRequest(MESSAGES.folderHasNoContent);
  const blob = blobOf(file);
  if (blob === undefined) throw notFound();
  return width === undefined ? { file, blob } : { file, blob: { store: blob.store, key: thumbnailKey(blob.key, width) }, width };
}

/**
 * The bytes the caller may read. A private file is "Not found" to everyone but its owner,
 * before anything else is revealed about it. A public file is served alike to everyone, and
 * its download neither waits for the viewer nor fails with its lookup.
 */
export async function findReadableContent(id: ObjectId | null, reader: Reader, width: ThumbnailWidth | undefined): Promise<ReadableContent> {
  if (id === null) throw notFound();
  const viewing = reader === 'signed' ? undefined : reader.viewer();
  // Awaited below only for a private file; a public one must not leave its failure unhandled.
  viewing?.catch(() => undefined);
  const file = await findFile(id);
  if (file === null) throw notFound();
  if (file.isPublic !== true && viewing !== undefined && (await viewing)?.equals(file.userId) !== true) throw notFound();
  return contentOf(file, width);
}
