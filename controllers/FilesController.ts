import type { NextFunction, Request, Response } from 'express';
import { config } from '../utils/config';
import {
  createFromJson,
  createFromStream,
  deleteFile,
  findOwnedFile,
  findReadableContent,
  listFiles,
  setPublic,
  toDetailedFile,
  toPublicFile,
  updateFile,
} from '../utils/files';
import { receiveMultipart } from '../utils/multipart';
import { sendContent } from './download';
import { bodyFields, currentUser } from './request';

export default class FilesController {
  /** JSON with base64 `data` (the contract), multipart/form-data, or a raw body with metadata in the query. */
  static async postUpload(req: Request, res: Response): Promise<void> {
    const owner = currentUser(res);
    const maxBytes = config().uploadMaxBytes;
    let file;
    if (req.is('multipart/form-data')) file = await receiveMultipart(owner, req, req.headers, maxBytes);
    else if (req.is('application/json')) file = await createFromJson(owner, bodyFields(req));
    else file = await createFromStream(owner, { ...req.query }, hasBody(req) ? req : undefined, maxBytes);
    res.status(201).json(toPublicFile(file));
  }

  static async getShow(req: Request, res: Response): Promise<void> {
    const file = await findOwnedFile(currentUser(res), req.params.id);
    res.json(req.query.fields === 'all' ? toDetailedFile(file) : toPublicFile(file));
  }

  static async getIndex(req: Request, res: Response): Promise<void> {
    const files = await listFiles(currentUser(res), req.query.parentId, req.query.page);
    res.json(files.map(toPublicFile));
  }

  static async putPublish(req: Request, res: Response): Promise<void> {
    res.json(toPublicFile(await setPublic(currentUser(res), req.params.id, true)));
  }

  static async putUnpublish(req: Request, res: Response): Promise<void> {
    res.json(toPublicFile(await setPublic(currentUser(res), req.params.id, false)));
  }

  static async patchFile(req: Request, res: Response): Promise<void> {
    res.json(toPublicFile(await updateFile(currentUser(res), req.params.id, bodyFields(req))));
  }

  static async deleteFile(req: Request, res: Response): Promise<void> {
    await deleteFile(currentUser(res), req.params.id);
    res.status(204).end();
  }

  static async getFile(req: Request, res: Response, next: NextFunction): Promise<void> {
    const { size } = req.query;
    const { file, path } = await findReadableContent(req.params.id, res.locals.user ?? null, size);
    sendContent(res, next, file, path, size !== undefined);
  }
}

/** A request with neither a length nor chunked encoding carries no body at all. */
function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}
