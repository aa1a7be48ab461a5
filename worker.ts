import { closeClients, connectClients } from './utils/clients';
import { config } from './utils/config';
import { fillNameKeys } from './utils/files/upkeep/nameKeys';
import { processFileJob, processUpkeepJob, processUserJob } from './utils/jobs/processors';
import { shareCoresBetween } from './utils/jobs/thumbnails';
import { runMain, stopOnSignals } from './utils/lifecycle';
import { log } from './utils/log';
import { queues } from './utils/queues';

const SWEEP_MAX_INTERVAL_SECONDS = 600;

async function main(): Promise<void> {
  const { workerConcurrency, uploadExpirySeconds, trashRetentionDays } = config();
  shareCoresBetween(workerConcurrency);
  await connectClients();
  // Once a start, not in the upkeep: finding documents without a field scans the collection on
  // MongoDB too (no index holds what is missing), and only documents of older versions lack it.
  // Beside the jobs, not before them: a large older database takes minutes (FerretDB: ~80 ms each).
  const stopFilling = new AbortController();
  const filling = fillNameKeys(stopFilling.signal).then(
    (named) => {
      if (named > 0) log.info(`Gave ${named} document(s) written before name keys theirs`);
    },
    (error: unknown) => log.error('giving name keys to older documents failed', error),
  );
  const { fileQueue, userQueue, upkeepQueue } = queues;
  const stopped = (error: unknown): void => {
    log.error('worker stopped processing jobs', error);
    process.exit(1);
  };
  queues.consume(fileQueue, workerConcurrency, processFileJob, stopped);
  queues.consume(userQueue, 1, processUserJob, stopped);
  queues.consume(upkeepQueue, 1, processUpkeepJob, stopped);
  // Often enough that an expired upload's bytes, or an item past its retention, outlive it by at
  // most its own lifetime, or ten minutes.
  const retentionSeconds = trashRetentionDays > 0 ? trashRetentionDays * 86_400 : Number.POSITIVE_INFINITY;
  const everySeconds = Math.max(1, Math.min(uploadExpirySeconds, retentionSeconds, SWEEP_MAX_INTERVAL_SECONDS));
  await queues.scheduleUpkeep(Math.round(everySeconds * 1000));
  log.info(`Worker processing ${fileQueue.name}, ${userQueue.name} and ${upkeepQueue.name}`);
  // Bull's close() waits for the jobs in flight, so a stop never leaves half a job behind.
  stopOnSignals('worker', async () => {
    stopFilling.abort();
    await filling;
    await closeClients();
  });
}

if (require.main === module) runMain('worker', main);
