import type { Request, Response } from 'express';
import { config } from '../utils/config';
import { dbClient } from '../utils/db';
import { byteStore } from '../utils/files/storage';
import { redisClient } from '../utils/redis';

export default class AppController {
  /** Exactly the contract's `{redis, db}` on the local disk; with a bucket, whether it answers too. */
  static getStatus(_req: Request, res: Response): void {
    const status = { redis: redisClient.isAlive(), db: dbClient.isAlive() };
    res.json(config().storage.driver === 's3' ? { ...status, storage: byteStore().isAvailable() } : status);
  }

  static async getStats(_req: Request, res: Response): Promise<void> {
    const [users, files] = await Promise.all([dbClient.nbUsers(), dbClient.nbFiles()]);
    res.json({ users, files });
  }
}
