import type { Request } from 'express';
import type { ObjectId } from 'mongodb';
import type { FileDoc } from '../utils/db';
import type { UploadMetadata } from '../utils/files/input';
import { createUpload, type Place } from '../utils/files/upload/create';
import { stageJsonUpload } from '../utils/files/upload/json';
import { stageMultipartUpload } from '../utils/files/upload/multipart';
import { stageRawUpload } from '../utils/files/upload/raw';
import type { StagedBytes } from '../utils/files/upload/stagedBytes';

/**
 * The three forms of an upload's body: JSON with base64 `data` (the contract), multipart/form-data,
 * or any other body as the raw bytes with the metadata in the query string.
 */
function stageUpload(place: Place, req: Request, bytes: StagedBytes): Promise<UploadMetadata> {
  if (req.is('multipart/form-data')) return stageMultipartUpload(place, req, req.headers, bytes);
  if (req.is('application/json')) return stageJsonUpload(place, req, req.headers, bytes);
  return stageRawUpload(place, req, { ...req.query }, bytes);
}

/** A new file of `owner`'s from the request's body, however it came, where `place` puts it. */
export function receiveUpload(req: Request, owner: ObjectId, place: Place): Promise<FileDoc> {
  return createUpload(owner, place, (bytes) => stageUpload(place, req, bytes));
}
