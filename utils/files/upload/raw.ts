import type { Readable } from 'node:stream';
import { parseUploadMetadata, type UploadMetadata } from '../input';
import type { Place } from './create';
import type { StagedBytes } from './stagedBytes';

/**
 * `POST /files` with any other body: the bytes are the file, the metadata is in the query
 * string. Everything is known before the first byte, so every check runs before any is written,
 * and a folder's body is never read. An empty body is an empty file, as every storage API has it.
 */
export async function stageRawUpload(place: Place, body: Readable, query: Record<string, unknown>, bytes: StagedBytes): Promise<UploadMetadata> {
  const metadata = parseUploadMetadata(query, true);
  await place(metadata);
  if (metadata.type !== 'folder') void bytes.receive(body);
  return metadata;
}
