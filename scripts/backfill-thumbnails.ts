/**
 * `npm run thumbnails:backfill`: queues thumbnail jobs for every image whose thumbnails are
 * missing. Uses the services of a running `npm run dev`, or those the environment names;
 * exits 1 when some jobs could not be queued.
 */
import { closeClients, connectClients } from '../utils/clients';
import { backfillThumbnails } from '../utils/jobs/backfill';
import { runMain } from '../utils/lifecycle';
import { log } from '../utils/log';
import { useScriptConfig } from './lib/devServices';

async function main(): Promise<void> {
  useScriptConfig();
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
