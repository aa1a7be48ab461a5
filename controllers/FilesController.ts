import type { Request, Response } from 'express';
import { userForToken } from '../utils/auth/tokens';
import { findReadableContent } from '../utils/files/content';
import {
  parseFileChanges,
  parseListRequest,
  parseObjectId,
  parseSignedQuery,
  parseSignedUrlRequest,
  parseThumbnailWidth,
  wantsAllFields,
} from '../utils/files/input';
import { changeFile, getOwnedFile, setPublic } from '../utils/files/manage';
import { toDetailedFile, toPublicFile } from '../utils/files/present';
import { signOwnedDownload, verifyDownload } from '../utils/files/signedUrls';
import { listFiles } from '../utils/files/listing';
import { nextPageQuery } from '../utils/files/listQuery';
import { deleteFile } from '../utils/files/trash';
import { asAsked } from '../utils/files/upload/create';
import { sendContent } from './download';
import { receiveUpload } from './uploadBody';
import { currentUserId, publicBaseUrl, token } from './request';

export default class FilesController {
  static async postUpload(req: Request, res: Response): Promise<void> {
    const owner = currentUserId(res);
    res.status(201).json(toPublicFile(await receiveUpload(req, owner, asAsked(owner))));
  }

  static async getShow(req: Request, res: Response): Promise<void> {
    const file = await getOwnedFile(currentUserId(res), parseObjectId(req.params.id));
    res.json(wantsAllFields(req.query) ? toDetailedFile(file) : toPublicFile(file));
  }

  /** A page of a listing; while more remain, `Link: <…>; rel="next"` names the next (utils/files/listing.ts). */
  static async getIndex(req: Request, res: Response): Promise<void> {
    const request = parseListRequest(req.query);
    const { items, next } = await listFiles(currentUserId(res), request);
    if (next !== undefined) res.set('Link', `<${publicBaseUrl(req)}/files?${nextPageQuery(request, next)}>; rel="next"`);
    res.json(items.map(request.allFields ? toDetailedFile : toPublicFile));
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
    await deleteFile(currentUserId(res), parseObjectId(req.params.id));
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
      // Browsers may keep it until the URL expires: the bytes under an id never change.
      const cacheControl = `private, max-age=${Math.max(0, expires - Math.floor(Date.now() / 1000))}`;
      await sendContent(req, res, await findReadableContent(parseObjectId(req.params.id), 'signed', width), { disposition, cacheControl });
      return;
    }
    const width = parseThumbnailWidth(req.query.size);
    const viewer = async () => (await userForToken(token(req)))?._id;
    await sendContent(req, res, await findReadableContent(parseObjectId(req.params.id), { viewer }, width));
  }
}
