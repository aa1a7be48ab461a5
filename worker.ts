import { closeClients, connectClients } from './utils/clients';
import { config } from './utils/config';
import { processFileJob, processUserJob } from './utils/jobs/processors';
import { shareCoresBetween } from './utils/jobs/thumbnails';
import { runMain, stopOnSignals } from './utils/lifecycle';
import { log } from './utils/log';
import { queues } from './utils/queues';

async function main(): Promise<void> {
  const { workerConcurrency } = config();
  shareCoresBetween(workerConcurrency);
  await connectClients();
  const { fileQueue, userQueue } = queues;
  const stopped = (error: unknown): void => {
    log.error('worker stopped processing jobs', error);
    process.exit(1);
  };
  queues.consume(fileQueue, workerConcurrency, processFileJob, stopped);
  queues.consume(userQueue, 1, processUserJob, stopped);
  log.info(`Worker processing ${fileQueue.name} and ${userQueue.name}`);
  // Bull's close() waits for the jobs in flight, so a stop never leaves half a job behind.
  stopOnSignals('worker', closeClients);
}

if (require.main === module) runMain('worker', main);
