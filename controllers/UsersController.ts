import type { Request, Response } from 'express';
import { signUp, toPublicUser } from '../utils/auth';
import { bodyFields, currentUser } from './request';

export default class UsersController {
  static async postNew(req: Request, res: Response): Promise<void> {
    const { email, password } = bodyFields(req);
    res.status(201).json(await signUp(email, password, req.ip ?? ''));
  }

  static getMe(_req: Request, res: Response): void {
    res.json(toPublicUser(currentUser(res)));
  }
}
