import type { Request, Response } from 'express';
import { config } from '../utils/config';
import { unsupportedMediaType } from '../utils/errors';
import {
  CHECKSUM_ALGORITHMS,
  fileFieldsOf,
  OFFSET_STREAM,
  parseTusMetadata,
  parseUploadChecksum,
  parseUploadId,
  parseUploadLength,
  parseUploadOffset,
  TUS_EXTENSIONS,
  TUS_VERSION,
} from '../utils/files/resumable/protocol';
import { appendToUpload, createResumable, type IncomingBytes, terminateUpload, type UploadStatus, uploadStatus } from '../utils/files/resumable/upload';
import { declaredLength, hasBody, uploaderOf } from './request';

/**
 * Resumable uploads, as the tus 1.0 protocol has them (utils/files/resumable/): a user's at
 * /uploads, and a visitor's into a drop folder at /s/:token (the same protocol and rules).
 */

/** Bytes come as `application/offset+octet-stream`, with an optional Upload-Checksum. */
function incomingBytes(req: Request): IncomingBytes {
  const type = (req.get('Content-Type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== OFFSET_STREAM) throw unsupportedMediaType();
  return { body: req, declared: declaredLength(req), checksum: parseUploadChecksum(req.get('Upload-Checksum')) };
}

function setStatusHeaders(res: Response, status: UploadStatus): void {
  res.set({ 'Upload-Offset': String(status.offset), 'Cache-Control': 'no-store' });
  if (status.fileId === undefined) res.set('Upload-Expires', status.expiresAt.toUTCString());
  else res.set('File-Id', status.fileId.toHexString());
}

export default class UploadsController {
  static options(_req: Request, res: Response): void {
    res
      .status(204)
      .set({
        'Tus-Version': TUS_VERSION,
        'Tus-Extension': TUS_EXTENSIONS.join(','),
        'Tus-Max-Size': String(config().uploadMaxBytes),
        'Tus-Checksum-Algorithm': CHECKSUM_ALGORITHMS.join(','),
      })
      .end();
  }

  static async postUpload(req: Request, res: Response): Promise<void> {
    const length = parseUploadLength(req.get('Upload-Length'), config().uploadMaxBytes);
    const metadata = req.get('Upload-Metadata');
    const fields = fileFieldsOf(parseTusMetadata(metadata));
    const { owner, place, uploadsUrl } = uploaderOf(req, res);
    const status = await createResumable(owner, place, { length, fields, metadata }, hasBody(req) ? incomingBytes(req) : undefined);
    setStatusHeaders(res, status);
    res.status(201).location(`${uploadsUrl}/${status.id}`).end();
  }

  static async headUpload(req: Request, res: Response): Promise<void> {
    const status = await uploadStatus(uploaderOf(req, res).access, parseUploadId(req.params.id));
    setStatusHeaders(res, status);
    res.set('Upload-Length', String(status.length));
    if (status.metadata !== undefined) res.set('Upload-Metadata', status.metadata);
    res.status(200).end();
  }

  static async patchUpload(req: Request, res: Response): Promise<void> {
    const bytes = incomingBytes(req);
    const offset = parseUploadOffset(req.get('Upload-Offset'));
    setStatusHeaders(res, await appendToUpload(uploaderOf(req, res).access, parseUploadId(req.params.id), offset, bytes));
    res.status(204).end();
  }

  static async deleteUpload(req: Request, res: Response): Promise<void> {
    await terminateUpload(uploaderOf(req, res).access, parseUploadId(req.params.id));
    res.status(204).end();
  }
}
