/**
 * `npm run storage:migrate`: with STORAGE=s3 and the bucket's settings, copies every file and
 * thumbnail from FOLDER_PATH to the bucket, verified by SHA-256, and switches each document
 * (see utils/files/upkeep/migrate.ts). Stop it and run it again at any point. Exits 1 when some files
 * could not be moved.
 */
import { closeClients, connectClients } from '../utils/clients';
import { migrateToS3 } from '../utils/files/upkeep/migrate';
import { runMain } from '../utils/lifecycle';
import { log } from '../utils/log';
import { useScriptConfig } from './lib/devServices';

async function main(): Promise<void> {
  useScriptConfig();
  await connectClients();
  try {
    const { moved, missing, mismatched } = await migrateToS3((message) => log.info(message));
    log.info(`moved to the bucket: ${moved}; bytes missing on disk: ${missing}; copies that did not verify: ${mismatched}`);
    log.info('the local files stay until: npm run storage:sweep -- --delete');
    process.exitCode = missing + mismatched > 0 ? 1 : 0;
  } finally {
    await closeClients();
  }
}

runMain('storage:migrate', main);
