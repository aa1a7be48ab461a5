import type { Request, Response } from 'express';
import { dbClient } from '../utils/db';
import { redisClient } from '../utils/redis';

export default class AppController {
  static getStatus(_req: Request, res: Response): void {
    res.json({ redis: redisClient.isAlive(), db: dbClient.isAlive() });
  }

  static async getStats(_req: Request, res: Response): Promise<void> {
    const [users, files] = await Promise.all([dbClient.nbUsers(), dbClient.nbFiles()]);
    res.json({ users, files });
  }
}
