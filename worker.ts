import { closeClients, connectClients } from './utils/clients';
import { config } from './utils/config';
import { processFileJob, processUpkeepJob, processUserJob } from './utils/jobs/processors';
import { shareCoresBetween } from './utils/jobs/thumbnails';
import { runMain, stopOnSignals } from './utils/lifecycle';
import { log } from './utils/log';
import { queues } from './utils/queues';

const SWEEP_MAX_INTERVAL_SECONDS = 600;

async function main(): Promise<void> {
  const { workerConcurrency, uploadExpirySeconds } = config();
  shareCoresBetween(workerConcurrency);
  await connectClients();
  const { fileQueue, userQueue, upkeepQueue } = queues;
  const stopped = (error: unknown): void => {
    log.error('worker stopped processing jobs', error);
    process.exit(1);
  };
  queues.consume(fileQueue, workerConcurrency, processFileJob, stopped);
  queues.consume(userQueue, 1, processUserJob, stopped);
  queues.consume(upkeepQueue, 1, processUpkeepJob, stopped);
  // Often enough that an expired upload's bytes outlive it by at most its own lifetime, or ten minutes.
  await queues.scheduleUploadSweep(Math.min(uploadExpirySeconds, SWEEP_MAX_INTERVAL_SECONDS) * 1000);
  log.info(`Worker processing ${fileQueue.name}, ${userQueue.name} and ${upkeepQueue.name}`);
  // Bull's close() waits for the jobs in flight, so a stop never leaves half a job behind.
  stopOnSignals('worker', closeClients);
}

if (require.main === module) runMain('worker', main);
