import type { Request, Response } from 'express';
import type { ObjectId } from 'mongodb';
import { userForToken } from '../utils/auth/tokens';
import { findReadableContent } from '../utils/files/content';
import {
  parseFileChanges,
  parseListFilesQuery,
  parseObjectId,
  parseSignedQuery,
  parseSignedUrlRequest,
  parseThumbnailWidth,
  type UploadMetadata,
  wantsAllFields,
} from '../utils/files/input';
import { changeFile, deleteTree, getOwnedFile, setPublic } from '../utils/files/manage';
import { stageJsonUpload } from '../utils/files/upload/json';
import { stageMultipartUpload } from '../utils/files/upload/multipart';
import { toDetailedFile, toPublicFile } from '../utils/files/present';
import { signOwnedDownload, verifyDownload } from '../utils/files/signedUrls';
import { listFolder } from '../utils/files/tree';
import { createUpload } from '../utils/files/upload/create';
import { stageRawUpload } from '../utils/files/upload/raw';
import type { StagedBytes } from '../utils/files/upload/stagedBytes';
import { sendContent } from './download';
import { currentUserId, publicBaseUrl, token } from './request';

/**
 * The three forms of `POST /files`: JSON with base64 `data` (the contract), multipart/form-data,
 * or any other body as the raw bytes with the metadata in the query string.
 */
function stageUpload(owner: ObjectId, req: Request, bytes: StagedBytes): Promise<UploadMetadata> {
  if (req.is('multipart/form-data')) return stageMultipartUpload(owner, req, req.headers, bytes);
  if (req.is('application/json')) return stageJsonUpload(owner, req, req.headers, bytes);
  return stageRawUpload(owner, req, { ...req.query }, bytes);
}

export default class FilesController {
  static async postUpload(req: Request, res: Response): Promise<void> {
    const owner = currentUserId(res);
    res.status(201).json(toPublicFile(await createUpload(owner, (bytes) => stageUpload(owner, req, bytes))));
  }

  static async getShow(req: Request, res: Response): Promise<void> {
    const file = await getOwnedFile(currentUserId(res), parseObjectId(req.params.id));
    res.json(wantsAllFields(req.query) ? toDetailedFile(file) : toPublicFile(file));
  }

  static async getIndex(req: Request, res: Response): Promise<void> {
    const { parent, page } = parseListFilesQuery(req.query);
    const files = await listFolder(currentUserId(res), parent, page);
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

  /** A URL of the content that works without a token until it expires (utils/files/signedUrls.ts). */
  static async postSignedUrl(req: Request, res: Response): Promise<void> {
    const request = parseSignedUrlRequest(req.body);
    const { fileId, query, expiresAt } = await signOwnedDownload(currentUserId(res), parseObjectId(req.params.id), request);
    res.json({ url: `${publicBaseUrl(req)}/files/${fileId.toHexString()}/data?${query}`, expiresAt: expiresAt.toISOString() });
  }

  /** A signed URL's query is checked first; otherwise the size is, before anything is looked up. */
  static async getFile(req: Request, res: Response): Promise<void> {
    const signed = parseSignedQuery(req.query);
    if (signed !== undefined) {
      // The id as it is in the path: another spelling of the same id is a change too.
      await verifyDownload(String(req.params.id), signed.options, signed.signature);
      const { width, disposition, expires } = signed.options;
      await sendContent(req, res, await findReadableContent(parseObjectId(req.params.id), 'signed', width), { disposition, expires });
      return;
    }
    const width = parseThumbnailWidth(req.query.size);
    const viewer = async () => (await userForToken(token(req)))?._id;
    await sendContent(req, res, await findReadableContent(parseObjectId(req.params.id), { viewer }, width));
  }
}
