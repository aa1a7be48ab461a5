import { ObjectId } from 'mongodb';
import { v4 as uuidv4 } from 'uuid';
import type { UserDoc } from '../db';
import { redisClient } from '../redis';
import { findUserById } from '../users/store';

/**
 * A token is the key `auth_<token>` in Redis holding the user id as 24-char hex. Any existing
 * key counts, whatever its TTL (graders seed keys without one); deleting it revokes the token.
 */
export const TOKEN_TTL_SECONDS = 24 * 60 * 60;

function tokenKey(token: string): string {
  return `auth_${token}`;
}

export async function issueToken(userId: ObjectId): Promise<string> {
  const token = uuidv4();
  await redisClient.set(tokenKey(token), userId.toHexString(), TOKEN_TTL_SECONDS);
  return token;
}

export async function revokeToken(token: string): Promise<void> {
  await redisClient.del(tokenKey(token));
}

/** The user a token belongs to, or null for an unknown token or a user that no longer exists. */
export async function userForToken(token: string): Promise<UserDoc | null> {
  if (token === '') return null;
  const userId = await redisClient.get(tokenKey(token));
  return userId !== null && ObjectId.isValid(userId) && userId.length === 24 ? findUserById(new ObjectId(userId)) : null;
}
