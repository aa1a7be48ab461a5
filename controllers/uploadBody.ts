import type { Request } from 'express';
import type { ObjectId } from 'mongodb';
import type { FileDoc } from '../utils/db';
import type { UploadMetadata } from '../utils/files/input';
import { createUpload, type Place } from '../utils/files/upload/create';
import { stageJsonUpload } from '../utils/files/upload/json';
import { stageMultipartUpload } from '../utils/files/upload/multipart';
import { stageRawUpload } from '../utils/files/upload/raw';
import type { StagedBytes } from '../utils/files/upload/stagedBytes';
import type { ExpectedSize } from '../utils/users/quota';
import { declaredLength } from './request';

/**
 * The three forms of an upload's body: JSON with base64 `data` (the contract), multipart/form-data,
 * or any other body as the raw bytes with the metadata in the query string.
 */
function stageUpload(place: Place, req: Request, bytes: StagedBytes): Promise<UploadMetadata> {
  if (req.is('multipart/form-data')) return stageMultipartUpload(place, req, req.headers, bytes);
  if (req.is('application/json')) return stageJsonUpload(place, req, req.headers, bytes);
  return stageRawUpload(place, req, { ...req.query }, bytes);
}

/**
 * What Content-Length says of the file's size: exactly that for a raw body; at most that for a
 * form, and three quarters of it for JSON (base64 in a string), unless the body is compressed.
 */
function expectedSize(req: Request): ExpectedSize {
  const length = declaredLength(req);
  if (length === undefined) return {};
  const form = Boolean(req.is('multipart/form-data'));
  const json = !form && Boolean(req.is('application/json'));
  if (!form && !json) return { exact: length };
  if (req.headers['content-encoding'] !== undefined) return {};
  return { atMost: json ? Math.floor((length * 3) / 4) : length };
}

/** A new file of `owner`'s from the request's body, however it came, where `place` puts it. */
export function receiveUpload(req: Request, owner: ObjectId, place: Place): Promise<FileDoc> {
  return createUpload(owner, place, (bytes) => stageUpload(place, req, bytes), expectedSize(req));
}
