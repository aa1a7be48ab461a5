import type { Request, Response } from 'express';
import type { ObjectId } from 'mongodb';
import { userForToken } from '../utils/auth/tokens';
import { findReadableContent } from '../utils/files/content';
import { parseFileChanges, parseObjectId, parsePage, parseParentRef, parseThumbnailWidth, parseUploadMetadata } from '../utils/files/input';
import { changeFile, deleteTree, getOwnedFile, setPublic } from '../utils/files/manage';
import { parseJsonUpload } from '../utils/files/jsonUpload';
import { parseMultipartUpload } from '../utils/files/multipart';
import { toDetailedFile, toPublicFile } from '../utils/files/present';
import { listFolder } from '../utils/files/tree';
import { createUpload, type Upload } from '../utils/files/upload';
import { sendContent } from './download';
import { currentUserId, token } from './request';

/**
 * The three forms of `POST /files`: JSON with base64 `data` (the contract), multipart/form-data,
 * or any other body as the raw bytes with the metadata in the query string.
 */
async function parseUpload(owner: ObjectId, req: Request): Promise<Upload> {
  if (req.is('multipart/form-data')) return parseMultipartUpload(owner, req, req.headers);
  if (req.is('application/json')) return parseJsonUpload(req, req.headers);
  // An empty body is an empty file, as every storage API has it.
  return { ...parseUploadMetadata({ ...req.query }, true), content: { kind: 'stream', source: req } };
}

export default class FilesController {
  static async postUpload(req: Request, res: Response): Promise<void> {
    const owner = currentUserId(res);
    res.status(201).json(toPublicFile(await createUpload(owner, await parseUpload(owner, req))));
  }

  static async getShow(req: Request, res: Response): Promise<void> {
    const file = await getOwnedFile(currentUserId(res), parseObjectId(req.params.id));
    res.json(req.query.fields === 'all' ? toDetailedFile(file) : toPublicFile(file));
  }

  static async getIndex(req: Request, res: Response): Promise<void> {
    const files = await listFolder(currentUserId(res), parseParentRef(req.query.parentId), parsePage(req.query.page));
    res.json(files.map(toPublicFile));
  }

  static async putPublish(req: Request, res: Response): Promise<void> {
    res.json(toPublicFile(await setPublic(currentUserId(res), parseObjectId(req.params.id), true)));
  }

  static async putUnpublish(req: Request, res: Response): Promise<void> {
    res.json(toPublicFile(await setPublic(currentUserId(res), parseObjectId(req.params.id), false)));
  }

  static async patchFile(req: Request, res: Response): Promise<void> {
    const changes = parseFileChanges(req.body);
    res.json(toPublicFile(await changeFile(currentUserId(res), parseObjectId(req.params.id), changes)));
  }

  static async deleteFile(req: Request, res: Response): Promise<void> {
    await deleteTree(currentUserId(res), parseObjectId(req.params.id));
    res.status(204).end();
  }

  /** The size is checked before anything is looked up. */
  static async getFile(req: Request, res: Response): Promise<void> {
    const width = parseThumbnailWidth(req.query.size);
    const viewer = async () => (await userForToken(token(req)))?._id;
    await sendContent(req, res, await findReadableContent(parseObjectId(req.params.id), viewer, width));
  }
}
