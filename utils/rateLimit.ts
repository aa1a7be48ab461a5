import { createHash } from 'node:crypto';
import { HttpError } from './errors';
import { redisClient } from './redis';

/**
 * Fixed-window counters in Redis, shared by every server process. Keys hold a hash of the
 * subject, so emails and addresses are not readable from Redis.
 */
function counterKey(kind: string, subject: string): string {
  return `rate_${kind}_${createHash('sha256').update(subject).digest('hex').slice(0, 32)}`;
}

function tooManyRequests(retryAfterSeconds: number): HttpError {
  return new HttpError(429, 'Too many requests', { 'Retry-After': String(retryAfterSeconds) });
}

export interface Limit {
  kind: string;
  subject: string;
  max: number;
  windowSeconds: number;
}

/** Throws 429 when any of the limits has already been used up, without counting this attempt. */
export async function assertUnderLimits(limits: readonly Limit[]): Promise<void> {
  for (const limit of limits) {
    const key = counterKey(limit.kind, limit.subject);
    const count = Number((await redisClient.get(key)) ?? 0);
    if (count >= limit.max) throw tooManyRequests(await redisClient.ttl(key));
  }
}

/** Counts one attempt against each limit. */
export async function countAttempt(limits: readonly Limit[]): Promise<void> {
  await Promise.all(limits.map((limit) => redisClient.increment(counterKey(limit.kind, limit.subject), limit.windowSeconds)));
}

/** Counts this attempt and throws 429 once it goes past the limit. */
export async function consumeAttempt(limit: Limit): Promise<void> {
  const { count, ttlSeconds } = await redisClient.increment(counterKey(limit.kind, limit.subject), limit.windowSeconds);
  if (count > limit.max) throw tooManyRequests(ttlSeconds);
}

export async function resetLimit(kind: string, subject: string): Promise<void> {
  await redisClient.del(counterKey(kind, subject));
}
