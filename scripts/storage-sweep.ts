/**
 * `npm run storage:sweep [-- --delete] [-- --older-than <minutes>]`: lists the objects (or files)
 * no document references and older than an hour (or the minutes given), in the bucket and in
 * FOLDER_PATH, and deletes them with --delete.
 */
import { closeClients, connectClients } from '../utils/clients';
import { sweepUnreferencedBytes } from '../utils/files/upkeep/sweep';
import { runMain, StartupError } from '../utils/lifecycle';
import { log } from '../utils/log';
import { useScriptConfig } from './lib/devServices';

async function main(): Promise<void> {
  const remove = process.argv.includes('--delete');
  const minutesArg = process.argv.includes('--older-than') ? process.argv[process.argv.indexOf('--older-than') + 1] : '60';
  const minutes = Number(minutesArg);
  if (!(minutes >= 0)) throw new StartupError(`--older-than takes minutes, got ${minutesArg ?? 'nothing'}`);
  useScriptConfig();
  await connectClients();
  try {
    const { objects, unreferenced, young, removed } = await sweepUnreferencedBytes({ remove, unreferencedMinAgeMs: minutes * 60_000, onProgress: (message) => log.info(message) });
    for (const example of unreferenced.examples) log.info(`unreferenced: ${example}`);
    log.info(`checked ${objects} stored objects: ${unreferenced.count} unreferenced and older than ${minutes} minutes, ${young} younger (left alone)`);
    log.info(remove ? `deleted ${removed}` : 'nothing deleted; run with -- --delete to delete them');
  } finally {
    await closeClients();
  }
}

runMain('storage:sweep', main);
