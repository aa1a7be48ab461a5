import Queue, { type Job, type JobOptions } from 'bull';
import { config } from './config';
import { log } from './log';

export const QUEUE_NAMES = { file: 'fileQueue', user: 'userQueue', upkeep: 'upkeepQueue' } as const;

/** Job data comes from Redis, which anyone may write to: every field is checked by the processor. */
export interface FileJobData {
  fileId?: unknown;
  userId?: unknown;
}

export interface UserJobData {
  userId?: unknown;
}

/** Scheduled chores: nothing to say but that it is time. */
export type UpkeepJobData = Record<string, never>;

/** One schedule, whichever worker started it: Bull keys a repeatable job by its id and interval. */
/** Its first job's name, kept so a deployment that ran it keeps a single schedule. */
const UPKEEP_JOB_ID = 'expired-uploads';

/** What a processor says of a job it did not throw for. */
export type JobOutcome =
  | { kind: 'done'; detail: string }
  /** The job will never succeed (an image that cannot be decoded): it fails now, without retries. */
  | { kind: 'discarded'; reason: string };

/**
 * One pending thumbnail job per file (the job id is derived from it), retried with backoff;
 * failures stay in Redis for inspection, successes do not pile up.
 */
const THUMBNAIL_JOB_OPTIONS: JobOptions = {
  attempts: 4,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: true,
  removeOnFail: false,
};

const WELCOME_JOB_OPTIONS: JobOptions = { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true };

/**
 * A worker that dies mid-job (SIGKILL, OOM) stops renewing its lock; another worker takes the
 * job back once the lock expires, at its next stalled check. Bull's 30 s defaults for both would
 * leave a thumbnail missing for up to a minute. The lock is renewed every lockDuration / 2 while
 * the job runs, so a long job is never mistaken for a dead one; a worker whose event loop is
 * blocked that long would be, and the job would run twice, which processors allow.
 */
const STALLED_JOB_SETTINGS = { lockDuration: 10_000, stalledInterval: 5_000 } as const;

/** How long a request waits for Redis to take a job before giving up on it. */
const ENQUEUE_TIMEOUT_MS = 1000;

export function thumbnailJobId(fileId: string): string {
  return `thumbnails:${fileId}`;
}

/** How a discarded job fails in Bull: once, with its reason, and no further attempts. */
class DiscardedJobError extends Error {
  override name = 'DiscardedJobError';
}

/** A processor as Bull runs it: a discarded outcome fails the job at once, keeping its reason. */
export function asBullProcessor<T>(process: (data: T) => Promise<JobOutcome>): (job: Job<T>) => Promise<string> {
  return async (job) => {
    const outcome = await process(job.data);
    if (outcome.kind === 'done') return outcome.detail;
    await job.discard();
    throw new DiscardedJobError(outcome.reason);
  };
}

function logFailure(job: Job, error: Error): void {
  const what = `${job.queue.name} job ${String(job.id)}`;
  if (error instanceof DiscardedJobError) log.error(`${what} discarded: ${error.message}`);
  else log.error(`${what} failed (attempt ${job.attemptsMade} of ${job.opts.attempts ?? 1}): ${error.message}`);
}

export class Queues {
  private file: Queue.Queue<FileJobData> | undefined;
  private user: Queue.Queue<UserJobData> | undefined;
  private upkeep: Queue.Queue<UpkeepJobData> | undefined;
  private closing: Promise<void> | undefined;

  async connect(redisUrl: string = config().redisUrl): Promise<void> {
    if (this.file !== undefined) throw new Error('Queues are already connected');
    this.closing = undefined;
    this.file = new Queue<FileJobData>(QUEUE_NAMES.file, redisUrl, { settings: STALLED_JOB_SETTINGS });
    this.user = new Queue<UserJobData>(QUEUE_NAMES.user, redisUrl, { settings: STALLED_JOB_SETTINGS });
    this.upkeep = new Queue<UpkeepJobData>(QUEUE_NAMES.upkeep, redisUrl, { settings: STALLED_JOB_SETTINGS });
    await Promise.all([this.file.isReady(), this.user.isReady(), this.upkeep.isReady()]);
  }

  get fileQueue(): Queue.Queue<FileJobData> {
    if (this.file === undefined) throw new Error('Queues.connect() has not been called');
    return this.file;
  }

  get userQueue(): Queue.Queue<UserJobData> {
    if (this.user === undefined) throw new Error('Queues.connect() has not been called');
    return this.user;
  }

  get upkeepQueue(): Queue.Queue<UpkeepJobData> {
    if (this.upkeep === undefined) throw new Error('Queues.connect() has not been called');
    return this.upkeep;
  }

  /**
   * Sweeps expired resumable uploads and purges the trash every `everyMs`. A schedule of another
   * interval (the settings changed) is dropped, so one sweep runs however many workers start it.
   */
  async scheduleUpkeep(everyMs: number): Promise<void> {
    const queue = this.upkeepQueue;
    for (const job of await queue.getRepeatableJobs()) {
      if (job.id === UPKEEP_JOB_ID && Number(job.every) !== everyMs) await queue.removeRepeatableByKey(job.key);
    }
    await queue.add({}, { jobId: UPKEEP_JOB_ID, repeat: { every: everyMs }, removeOnComplete: true, removeOnFail: true });
  }

  /**
   * Takes jobs from `queue` in this process. `process()` settles only when the queue stops; a
   * rejection means this worker stopped taking jobs, so `onStopped` ends the process and its
   * supervisor starts a fresh one.
   */
  consume<T>(queue: Queue.Queue<T>, concurrency: number, process: (data: T) => Promise<JobOutcome>, onStopped: (error: unknown) => void): void {
    queue.process(concurrency, asBullProcessor(process)).catch(onStopped);
    queue.on('failed', logFailure);
    // A job whose worker died: Bull hands it to a live worker, which is worth a line.
    queue.on('stalled', (job: Job) => log.info(`${queue.name} job ${String(job.id)} stalled; it will run again`));
    queue.on('error', (error: Error) => log.error(`${queue.name} error`, error));
  }

  /**
   * Returns whether the job was taken. A failure is logged, not thrown: an upload must not
   * fail because Redis is away, and `npm run thumbnails:backfill` finds the file later.
   */
  async enqueueThumbnails(fileId: string, userId: string): Promise<boolean> {
    const queue = this.fileQueue;
    const jobId = thumbnailJobId(fileId);
    return withTimeout(`thumbnail job ${jobId}`, async () => {
      // Bull ignores an add whose id matches a kept failed job, so clear it to allow a retry.
      const previous = await queue.getJob(jobId);
      if (previous !== null && (await previous.isFailed())) await previous.remove();
      await queue.add({ fileId, userId }, { ...THUMBNAIL_JOB_OPTIONS, jobId });
    });
  }

  async enqueueWelcome(userId: string): Promise<boolean> {
    const queue = this.userQueue;
    return withTimeout(`welcome job for user ${userId}`, async () => {
      await queue.add({ userId }, WELCOME_JOB_OPTIONS);
    });
  }

  /** Waits for active jobs of this process to finish; safe to call twice or before connect(). */
  close(): Promise<void> {
    const queues = [this.file, this.user, this.upkeep].filter((queue) => queue !== undefined);
    if (queues.length === 0) return this.closing ?? Promise.resolve();
    [this.file, this.user, this.upkeep] = [undefined, undefined, undefined];
    this.closing = Promise.all(queues.map((queue) => queue.close())).then(() => undefined);
    return this.closing;
  }
}

async function withTimeout(what: string, work: () => Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ENQUEUE_TIMEOUT_MS} ms`)), ENQUEUE_TIMEOUT_MS);
  });
  try {
    await Promise.race([work(), timeout]);
    return true;
  } catch (error) {
    log.error(`could not enqueue ${what}`, error);
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export const queues = new Queues();
