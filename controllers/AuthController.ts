import type { Request, Response } from 'express';
import { logIn, logOut } from '../utils/auth';
import { token } from './request';

export default class AuthController {
  static async getConnect(req: Request, res: Response): Promise<void> {
    res.json({ token: await logIn(req.get('Authorization'), req.ip ?? '') });
  }

  /** Runs after requireUser, so the token is known to be valid. */
  static async getDisconnect(req: Request, res: Response): Promise<void> {
    await logOut(token(req) ?? '');
    res.status(204).end();
  }
}
