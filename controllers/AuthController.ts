import type { Request, Response } from 'express';
import { badCredentials, logIn, parseBasicAuth } from '../utils/auth/login';
import { revokeToken } from '../utils/auth/tokens';
import { clientAddress, token } from './request';

export default class AuthController {
  /** Malformed credentials are a plain 401 that no throttle counts. */
  static async getConnect(req: Request, res: Response): Promise<void> {
    const credentials = parseBasicAuth(req.get('Authorization'));
    if (credentials === null) throw badCredentials();
    res.json({ token: await logIn(credentials, clientAddress(req)) });
  }

  /** Runs after requireUser, so the token is known to be valid. */
  static async getDisconnect(req: Request, res: Response): Promise<void> {
    await revokeToken(token(req));
    res.status(204).end();
  }
}
