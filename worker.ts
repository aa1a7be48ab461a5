import type { Job } from 'bull';
import { config, loadConfig, useConfig } from './utils/config';
import { processUserJob, runFileJob } from './utils/jobs';
import { runMain, stopOnSignals } from './utils/lifecycle';
import { log } from './utils/log';
import { queues } from './utils/queues';
import { closeClients, connectClients } from './utils/services';
import { sweepPartialFiles } from './utils/storage';

function logFailure(job: Job, error: Error): void {
  log.error(`${job.queue.name} job ${String(job.id)} failed (attempt ${job.attemptsMade} of ${job.opts.attempts ?? 1}): ${error.message}`);
}

async function main(): Promise<void> {
  useConfig(loadConfig());
  await connectClients();
  // A worker killed mid-thumbnail leaves a .partial file; the next worker, not only the next server, clears it.
  await sweepPartialFiles();
  const { fileQueue, userQueue } = queues;
  // process() settles only when the queue stops; a rejection means this worker stopped taking
  // jobs, so it exits and its supervisor starts a fresh one.
  const stopped = (error: unknown): void => {
    log.error('worker stopped processing jobs', error);
    process.exit(1);
  };
  fileQueue.process(config().workerConcurrency, runFileJob).catch(stopped);
  userQueue.process((job) => processUserJob(job.data)).catch(stopped);
  fileQueue.on('failed', logFailure);
  userQueue.on('failed', logFailure);
  log.info(`Worker processing ${fileQueue.name} and ${userQueue.name}`);
  // Bull's close() waits for the jobs in flight, so a stop never leaves half a job behind.
  stopOnSignals('worker', closeClients);
}

if (require.main === module) runMain('worker', main);
