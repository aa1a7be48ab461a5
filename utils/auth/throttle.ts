import { createHash } from 'node:crypto';
import { config } from '../config';
import { tooManyRequests } from '../errors';
import { redisClient } from '../redis';

/**
 * Brute-force protection after Auth0's model, in Redis so every server shares it:
 * - a streak of wrong passwords for one account from one address locks that pair
 *   (LOGIN_MAX_FAILURES, remembered LOGIN_WINDOW_SECONDS from the streak's first failure),
 *   and a successful login ends the streak;
 * - failures from one address across all accounts are capped per day
 *   (LOGIN_MAX_FAILURES_PER_ADDRESS), which stops credential stuffing from one address;
 * - only created accounts count against the per-address sign-up cap.
 * Addresses in THROTTLE_EXEMPT (loopback by default, as fail2ban does) are never counted.
 *
 * An attempt reserves its count before the password is checked, in one atomic script, so
 * any number of concurrent guesses reaches the password check at most the allowed number
 * of times. Keys hold a hash of the subject, so emails and addresses are not readable in Redis.
 */

const DAY_SECONDS = 24 * 60 * 60;

function counterKey(kind: string, ...subject: string[]): string {
  return `throttle_${kind}_${createHash('sha256').update(subject.join('\n')).digest('hex').slice(0, 32)}`;
}

/** IPv4 clients of a dual-stack socket appear as ::ffff:a.b.c.d; one client, one counter. */
function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}

export function isExempt(address: string): boolean {
  const normalized = normalizeAddress(address);
  return config().throttle.exempt.check(normalized, normalized.includes(':') ? 'ipv6' : 'ipv4');
}

/** Counts one against each key unless one is already at its cap; returns the seconds left of a cap hit, else 0. */
const RESERVE = `
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[i * 2 - 1]) then
    return math.max(redis.call('TTL', key), 1)
  end
end
for i, key in ipairs(KEYS) do
  redis.call('INCR', key)
  redis.call('EXPIRE', key, ARGV[i * 2], 'NX')
end
return 0`;

/** Takes back one count from each key that still has one (a key may have expired meanwhile). */
const GIVE_BACK = `
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
return 0`;

interface Counter {
  key: string;
  max: number;
  windowSeconds: number;
}

async function reserve(counters: readonly Counter[]): Promise<void> {
  const args = counters.flatMap(({ max, windowSeconds }) => [String(max), String(windowSeconds)]);
  const retryAfter = Number(await redisClient.eval(RESERVE, counters.map(({ key }) => key), args));
  if (retryAfter > 0) throw tooManyRequests(retryAfter);
}

async function giveBack(keys: readonly string[]): Promise<void> {
  await redisClient.eval(GIVE_BACK, [...keys], []);
}

export type LoginOutcome = 'success' | 'failure' | 'not-checked';

/** A password attempt counted in advance; `settle` says how it ended. */
export interface LoginAttempt {
  settle(outcome: LoginOutcome): Promise<void>;
}

const UNCOUNTED: LoginAttempt = { settle: () => Promise.resolve() };

/**
 * Reserves a password attempt on `subject` (an account, a shared link) from `address`, or throws
 * 429 while the pair or the address is locked. One address's failures count together whatever
 * they guessed at.
 */
async function beginPasswordAttempt(kind: 'login_streak' | 'link_streak', subject: string, address: string): Promise<LoginAttempt> {
  if (isExempt(address)) return UNCOUNTED;
  const { loginMaxFailures, loginWindowSeconds, loginMaxFailuresPerAddress } = config().throttle;
  const client = normalizeAddress(address);
  const perAddress = counterKey('login_address', client);
  const streak = counterKey(kind, subject, client);
  await reserve([
    { key: perAddress, max: loginMaxFailuresPerAddress, windowSeconds: DAY_SECONDS },
    { key: streak, max: loginMaxFailures, windowSeconds: loginWindowSeconds },
  ]);
  return {
    async settle(outcome) {
      if (outcome === 'failure') return;
      // A success ends the streak; neither it nor an attempt that never reached the password check is a failure.
      if (outcome === 'success') await redisClient.del(streak);
      await giveBack(outcome === 'success' ? [perAddress] : [perAddress, streak]);
    },
  };
}

export function beginLogin(email: string, address: string): Promise<LoginAttempt> {
  return beginPasswordAttempt('login_streak', email, address);
}

/** A shared link's password, throttled as logins are, per link and address. */
export function beginLinkPasswordAttempt(linkId: string, address: string): Promise<LoginAttempt> {
  return beginPasswordAttempt('link_streak', linkId, address);
}

/** A sign-up slot taken from the address's allowance; given back when no account was created. */
export interface SignupSlot {
  giveBack(): Promise<void>;
}

const UNCOUNTED_SIGNUP: SignupSlot = { giveBack: () => Promise.resolve() };

export async function reserveSignup(address: string): Promise<SignupSlot> {
  if (isExempt(address)) return UNCOUNTED_SIGNUP;
  const { signupMaxPerAddress, signupWindowSeconds } = config().throttle;
  const key = counterKey('signup', normalizeAddress(address));
  await reserve([{ key, max: signupMaxPerAddress, windowSeconds: signupWindowSeconds }]);
  return { giveBack: () => giveBack([key]) };
}
