/**
 * `npm run thumbnails:backfill`: queues thumbnail jobs for every image whose thumbnails are
 * missing. Reads the same environment as the server; exits 1 when some jobs could not be queued.
 */
import { backfillThumbnails } from '../utils/backfill';
import { loadConfig, useConfig } from '../utils/config';
import { runMain } from '../utils/lifecycle';
import { log } from '../utils/log';
import { closeClients, connectClients } from '../utils/services';

async function main(): Promise<void> {
  useConfig(loadConfig());
  await connectClients();
  try {
    const { enqueued, skipped, failed } = await backfillThumbnails();
    log.info(`thumbnail jobs queued: ${enqueued} (images already complete or without bytes: ${skipped}, not queued: ${failed})`);
    process.exitCode = failed > 0 ? 1 : 0;
  } finally {
    await closeClients();
  }
}

runMain('thumbnails:backfill', main);
