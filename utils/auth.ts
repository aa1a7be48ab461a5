import { MongoServerError } from 'mongodb';
import { v4 as uuidv4 } from 'uuid';
import { config } from './config';
import { dbClient, toObjectId, type UserDoc } from './db';
import { badRequest, unauthorized } from './errors';
import { hashPassword, needsUpgrade, verifyPassword } from './passwords';
import { queues } from './queues';
import { assertUnderLimits, consumeAttempt, countAttempt, resetLimit, type Limit } from './rateLimit';
import { redisClient } from './redis';

export const TOKEN_TTL_SECONDS = 24 * 60 * 60;

const DUPLICATE_KEY = 11000;

export interface PublicUser {
  id: string;
  email: string;
}

export function toPublicUser(user: UserDoc): PublicUser {
  return { id: user._id.toHexString(), email: user.email };
}

function tokenKey(token: string): string {
  return `auth_${token}`;
}

/** Creates the account and queues its welcome job. `address` is the client's, for rate limiting. */
export async function signUp(email: unknown, password: unknown, address: string): Promise<PublicUser> {
  if (typeof email !== 'string' || email === '') throw badRequest('Missing email');
  if (typeof password !== 'string' || password === '') throw badRequest('Missing password');
  const { signups, signupWindowSeconds } = config().rateLimits;
  await consumeAttempt({ kind: 'signup', subject: address, max: signups, windowSeconds: signupWindowSeconds });

  // The unique index decides races; this read only spares the hashing work in the common case.
  if ((await dbClient.users.findOne({ email }, { projection: { _id: 1 } })) !== null) throw badRequest('Already exist');
  const hashed = await hashPassword(password, config().passwordHash);
  let userId;
  try {
    ({ insertedId: userId } = await dbClient.users.insertOne({ email, password: hashed } as UserDoc));
  } catch (error) {
    if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) throw badRequest('Already exist');
    throw error;
  }
  await queues.enqueueWelcome(userId.toHexString());
  return { id: userId.toHexString(), email };
}

/** Splits `Basic base64(email:password)` at the first colon; null for anything else. */
export function parseBasicAuth(header: string | undefined): { email: string; password: string } | null {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header ?? '');
  if (match?.[1] === undefined) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { email: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function loginLimits(email: string, address: string): Limit[] {
  const { loginFailures, loginWindowSeconds } = config().rateLimits;
  return [
    { kind: 'login_email', subject: email, max: loginFailures, windowSeconds: loginWindowSeconds },
    { kind: 'login_address', subject: address, max: loginFailures, windowSeconds: loginWindowSeconds },
  ];
}

/** Checks Basic credentials and returns a new token valid for 24 hours. */
export async function logIn(authorization: string | undefined, address: string): Promise<string> {
  const credentials = parseBasicAuth(authorization);
  const limits = loginLimits(credentials?.email ?? '', address);
  await assertUnderLimits(limits);
  const user = credentials && (await dbClient.users.findOne({ email: credentials.email }));
  if (!credentials || !user || !(await verifyPassword(credentials.password, user.password))) {
    await countAttempt(limits);
    throw unauthorized();
  }
  await resetLimit('login_email', credentials.email);

  const scheme = config().passwordHash;
  if (needsUpgrade(user.password, scheme)) {
    const upgraded = await hashPassword(credentials.password, scheme);
    await dbClient.users.updateOne({ _id: user._id, password: user.password }, { $set: { password: upgraded } });
  }

  const token = uuidv4();
  await redisClient.set(tokenKey(token), user._id.toHexString(), TOKEN_TTL_SECONDS);
  return token;
}

/** The user a token belongs to, or null. Any existing key counts, whatever its TTL. */
export async function userForToken(token: string | undefined): Promise<UserDoc | null> {
  if (token === undefined || token === '') return null;
  const userId = toObjectId(await redisClient.get(tokenKey(token)));
  return userId && dbClient.users.findOne({ _id: userId });
}

export async function logOut(token: string): Promise<void> {
  await redisClient.del(tokenKey(token));
}
