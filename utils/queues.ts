import Queue, { type JobOptions } from 'bull';
import { log } from './log';

export const QUEUE_NAMES = { file: 'fileQueue', user: 'userQueue' } as const;

/** Job data comes from Redis, which anyone may write to: every field is checked by the processor. */
export interface FileJobData {
  fileId?: unknown;
  userId?: unknown;
}

export interface UserJobData {
  userId?: unknown;
}

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

export class Queues {
  private file: Queue.Queue<FileJobData> | undefined;
  private user: Queue.Queue<UserJobData> | undefined;
  private closing: Promise<void> | undefined;

  async connect(redisUrl: string): Promise<void> {
    if (this.file !== undefined) throw new Error('Queues are already connected');
    this.closing = undefined;
    this.file = new Queue<FileJobData>(QUEUE_NAMES.file, redisUrl, { settings: STALLED_JOB_SETTINGS });
    this.user = new Queue<UserJobData>(QUEUE_NAMES.user, redisUrl, { settings: STALLED_JOB_SETTINGS });
    await Promise.all([this.file.isReady(), this.user.isReady()]);
  }

  get fileQueue(): Queue.Queue<FileJobData> {
    if (this.file === undefined) throw new Error('Queues.connect() has not been called');
    return this.file;
  }

  get userQueue(): Queue.Queue<UserJobData> {
    if (this.user === undefined) throw new Error('Queues.connect() has not been called');
    return this.user;
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
    const queues = [this.file, this.user].filter((queue) => queue !== undefined);
    if (queues.length === 0) return this.closing ?? Promise.resolve();
    this.file = undefined;
    this.user = undefined;
    this.closing = Promise.all(queues.map((queue) => queue.close()))
      .then(() => undefined)
      .catch((error: unknown) => log.error('closing the queues failed', error));
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
