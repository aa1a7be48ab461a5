import type { Request, Response } from 'express';
import { contentOf } from '../utils/files/content';
import { parseObjectId, parsePage, parseThumbnailWidth } from '../utils/files/input';
import { toPublicFile } from '../utils/files/present';
import { parseLinkOptions, parseLinkPassword } from '../utils/links/input';
import {
  countSharedDownload,
  createLink,
  dropInto,
  LINK_SESSION_SECONDS,
  linkSession,
  listLinks,
  listShared,
  type OpenedLink,
  revokeLink,
  sharedItem,
} from '../utils/links/links';
import { toLinkInfo, toPublicLink } from '../utils/links/present';
import type { FileDoc } from '../utils/db';
import { REVALIDATE, sendContent } from './download';
import { currentLink, currentUserId, LINK_SESSION_COOKIE, openRequestLink, publicBaseUrl } from './request';
import { receiveUpload } from './uploadBody';

/**
 * Shared links (utils/links/): the owner's side, then what anyone with a link's URL reaches,
 * the link opened by requireLink or requireDropFolder (routes/middleware.ts).
 */

/**
 * Content through a link, with every download guarantee of GET /files/:id/data. Revalidated on
 * each use, since the link may end at any moment; a complete download of the original counts.
 */
async function sendShared(req: Request, res: Response, { link }: OpenedLink, file: FileDoc): Promise<void> {
  const width = parseThumbnailWidth(req.query.size);
  const beforeBody = width === undefined ? (firstByte: number) => countSharedDownload(link, firstByte) : undefined;
  await sendContent(req, res, contentOf(file, width), { cacheControl: REVALIDATE, beforeBody });
}

export default class LinksController {
  static async postLink(req: Request, res: Response): Promise<void> {
    const link = await createLink(currentUserId(res), parseObjectId(req.params.id), parseLinkOptions(req.body));
    res.status(201).json(toPublicLink(link, publicBaseUrl(req)));
  }

  static async getLinks(req: Request, res: Response): Promise<void> {
    const links = await listLinks(currentUserId(res), parseObjectId(req.params.id));
    const baseUrl = publicBaseUrl(req);
    res.json(links.map((link) => toPublicLink(link, baseUrl)));
  }

  static async deleteLink(req: Request, res: Response): Promise<void> {
    await revokeLink(currentUserId(res), parseObjectId(req.params.id));
    res.status(204).end();
  }

  /** A file's content, or a folder's children (`parentId` for a folder under it, `page` as GET /files has it). */
  static async getShared(req: Request, res: Response): Promise<void> {
    const opened = currentLink(res);
    if (opened.target.type !== 'folder') {
      await sendShared(req, res, opened, opened.target);
      return;
    }
    const files = await listShared(opened, parseObjectId(req.query.parentId), parsePage(req.query.page));
    res.set('Cache-Control', REVALIDATE).json(files.map(toPublicFile));
  }

  /** What the link names, for a page to show before it lists or downloads anything. */
  static getInfo(_req: Request, res: Response): void {
    res.set('Cache-Control', REVALIDATE).json(toLinkInfo(currentLink(res)));
  }

  /**
   * A browser gives the password once and keeps a signed proof of it in an HttpOnly cookie
   * scoped to the link's path, so neither it nor the password ever goes into a URL or the page's
   * storage, and an <img> or a download under the link carries it by itself.
   */
  static async postSession(req: Request, res: Response): Promise<void> {
    const { link } = await openRequestLink(req, { password: parseLinkPassword(req.body) });
    const session = await linkSession(link);
    if (session !== undefined) {
      res.cookie(LINK_SESSION_COOKIE, session, {
        path: `/s/${link.token}`,
        httpOnly: true,
        sameSite: 'strict',
        secure: req.secure,
        maxAge: LINK_SESSION_SECONDS * 1000,
      });
    }
    res.status(204).end();
  }

  static async getSharedItem(req: Request, res: Response): Promise<void> {
    const opened = currentLink(res);
    res.set('Cache-Control', REVALIDATE).json(toPublicFile(await sharedItem(opened, parseObjectId(req.params.id))));
  }

  static async getSharedItemData(req: Request, res: Response): Promise<void> {
    const opened = currentLink(res);
    await sendShared(req, res, opened, await sharedItem(opened, parseObjectId(req.params.id)));
  }

  /** A visitor's upload into a drop folder, in any of the forms of POST /files; the owner's file, private. */
  static async postDrop(req: Request, res: Response): Promise<void> {
    const opened = currentLink(res);
    res.status(201).json(toPublicFile(await receiveUpload(req, opened.link.userId, dropInto(opened))));
  }
}
