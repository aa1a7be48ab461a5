import type { Request, Response } from 'express';
import { signUp, toPublicUser } from '../utils/users/accounts';
import { parseSignUp } from '../utils/users/input';
import { usageOf } from '../utils/users/quota';
import { clientAddress, currentUser } from './request';

export default class UsersController {
  static async postNew(req: Request, res: Response): Promise<void> {
    res.status(201).json(await signUp(parseSignUp(req.body), clientAddress(req)));
  }

  static getMe(_req: Request, res: Response): void {
    res.json(toPublicUser(currentUser(res)));
  }

  static async getUsage(_req: Request, res: Response): Promise<void> {
    res.json(await usageOf(currentUser(res)._id));
  }
}
