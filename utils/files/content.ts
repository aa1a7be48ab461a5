import type { ObjectId } from 'mongodb';
import type { FileDoc } from '../db';
import { badRequest, notFound } from '../errors';
import { thumbnailKey, type ThumbnailWidth } from './byteStore';
import { blobOf, type Blob } from './storage';
import { findFile } from './store';

export interface ReadableContent {
  file: FileDoc;
  /** The original, or its thumbnail. */
  blob: Blob;
  /** Set when a thumbnail was asked for. */
  width?: ThumbnailWidth;
}

/**
 * The bytes `viewer` (undefined when anonymous) may read. A private file is "Not found" to
 * everyone but its owner, before anything else is revealed about it.
 */
export async function findReadableContent(id: ObjectId | null, viewer: ObjectId | undefined, width: ThumbnailWidth | undefined): Promise<ReadableContent> {
  const file = id === null ? null : await findFile(id);
  if (file === null) throw notFound();
  if (file.isPublic !== true && !(viewer !== undefined && viewer.equals(file.userId))) throw notFound();
  if (file.type === 'folder') throw badRequest("A folder doesn't have content");
  const blob = blobOf(file);
  if (blob === undefined) throw notFound();
  return width === undefined ? { file, blob } : { file, blob: { store: blob.store, key: thumbnailKey(blob.key, width) }, width };
}
