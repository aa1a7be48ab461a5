import type { Request, Response } from 'express';
import { dbClient } from '../utils/db';
import { storesInUse } from '../utils/storage/stores';
import { redisClient } from '../utils/redis';

export default class AppController {
  /** Exactly the original contract's `{redis, db}`, whatever the storage: clients compare it whole. */
  static getStatus(_req: Request, res: Response): void {
    res.json({ redis: redisClient.isAlive(), db: dbClient.isAlive() });
  }

  /**
   * Every dependency, the bytes' stores included (both while a migration still reads from the
   * disk), with a status a load balancer or monitor can act on without reading the body.
   */
  static getHealth(_req: Request, res: Response): void {
    const health = { db: dbClient.isAlive(), redis: redisClient.isAlive(), storage: storesInUse().every((store) => store.isAvailable()) };
    res.status(Object.values(health).every(Boolean) ? 200 : 503).json(health);
  }

  static async getStats(_req: Request, res: Response): Promise<void> {
    const [users, files] = await Promise.all([dbClient.nbUsers(), dbClient.nbFiles()]);
    res.json({ users, files });
  }
}
