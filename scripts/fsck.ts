/**
 * `npm run fsck [-- --repair] [-- --owner <user id>]`: checks every document and stored object (see
 * utils/files/upkeep/fsck.ts), prints what it found, and exits 1 when it found damage. Uses the
 * services of a running `npm run dev`, or those the environment names.
 */
import { closeClients, connectClients } from '../utils/clients';
import { checkStore, hasDamage, LOST_AND_FOUND, type FsckReport } from '../utils/files/upkeep/fsck';
import { parseObjectId } from '../utils/files/input';
import { runMain, StartupError } from '../utils/lifecycle';
import { log } from '../utils/log';
import { useScriptConfig } from './lib/devServices';

function line(label: string, { count, examples }: { count: number; examples: string[] }): string {
  return `${label}: ${count}${examples.length > 0 ? ` (${examples.join(', ')}${count > examples.length ? ', …' : ''})` : ''}`;
}

function print(report: FsckReport, repair: boolean): void {
  log.info(`checked ${report.documents} documents and ${report.objects} stored objects`);
  log.info(line('orphans (parent missing)', report.orphans));
  log.info(line('folders in a cycle', report.cycles));
  log.info(line('documents unreachable below those', report.unreachable));
  log.info(line('documents whose bytes are missing', report.missingBytes));
  log.info(line('bytes no document references, older than an hour', report.unreferencedBytes));
  log.info(`bytes no document references yet, younger than an hour (left alone): ${report.youngUnreferencedBytes}`);
  log.info(line('folders whose delete was interrupted (not damage)', report.interruptedDeletes));
  log.info(line('documents in or out of the trash unlike their folder', report.trashMismatches));
  log.info(line('users whose usage counters drifted', report.usageDrift));
  if (repair) {
    const { movedToLostAndFound, restoredFolders, removedBytes, trashMarks, usageCounters } = report.repaired;
    log.info(
      `repaired: ${movedToLostAndFound} moved into ${LOST_AND_FOUND}, ${restoredFolders} folders given back, ${removedBytes} unreferenced objects removed, ` +
        `${trashMarks} documents given their folder's trash state, ${usageCounters} users' counters recounted`,
    );
  }
}

async function main(): Promise<void> {
  const repair = process.argv.includes('--repair');
  const ownerArg = process.argv[process.argv.indexOf('--owner') + 1];
  const owner = process.argv.includes('--owner') ? parseObjectId(ownerArg) : undefined;
  if (owner === null) throw new StartupError(`--owner takes a user id, got ${ownerArg ?? 'nothing'}`);
  useScriptConfig();
  await connectClients();
  try {
    const report = await checkStore({ repair, owner, onProgress: (message) => log.info(message) });
    print(report, repair);
    const damaged = hasDamage(report);
    log.info(damaged ? 'damage found' : 'the store is consistent');
    process.exitCode = damaged ? 1 : 0;
  } finally {
    await closeClients();
  }
}

runMain('fsck', main);
