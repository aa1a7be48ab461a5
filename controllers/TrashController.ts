import type { Request, Response } from 'express';
import { parseObjectId, parsePage } from '../utils/files/input';
import { toPublicFile, toTrashedFile } from '../utils/files/present';
import { deleteFromTrash, emptyTrash, listTrash, restoreFromTrash } from '../utils/files/trash';
import { currentUserId } from './request';

/** The user's trash (utils/files/trash.ts): what `DELETE /files/:id` took, until restored or purged. */
export default class TrashController {
  static async getIndex(req: Request, res: Response): Promise<void> {
    res.json((await listTrash(currentUserId(res), parsePage(req.query.page))).map(toTrashedFile));
  }

  static async postRestore(req: Request, res: Response): Promise<void> {
    res.json(toPublicFile(await restoreFromTrash(currentUserId(res), parseObjectId(req.params.id))));
  }

  static async deleteItem(req: Request, res: Response): Promise<void> {
    await deleteFromTrash(currentUserId(res), parseObjectId(req.params.id));
    res.status(204).end();
  }

  static async deleteAll(_req: Request, res: Response): Promise<void> {
    await emptyTrash(currentUserId(res));
    res.status(204).end();
  }
}
