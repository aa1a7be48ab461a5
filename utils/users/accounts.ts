import { z } from 'zod';
import type { UserDoc } from '../db';
import { config } from '../config';
import { badRequest, MESSAGES } from '../errors';
import { hashPassword } from '../auth/passwords';
import { reserveSignup } from '../auth/throttle';
import { queues } from '../queues';
import { startUsage } from './quota';
import { emailTaken, insertUser } from './store';

export const PublicUserSchema = z.strictObject({ id: z.string(), email: z.string() });
export type PublicUser = z.infer<typeof PublicUserSchema>;

export function toPublicUser(user: UserDoc): PublicUser {
  return { id: user._id.toHexString(), email: user.email };
}

export interface SignUp {
  email: string;
  password: string;
}

/**
 * Creates the account and queues its welcome job. "Already exist" is answered before the
 * address's sign-up allowance is looked at, and only a created account uses it up.
 */
export async function signUp({ email, password }: SignUp, address: string): Promise<PublicUser> {
  const alreadyExist = () => badRequest(MESSAGES.alreadyExist);
  // The unique index decides races; this read only spares the hashing work in the common case.
  if (await emailTaken(email)) throw alreadyExist();
  const slot = await reserveSignup(address);
  let userId;
  try {
    userId = await insertUser(email, await hashPassword(password, config().passwordHash));
  } catch (error) {
    await slot.giveBack().catch(() => undefined);
    throw error;
  }
  if (userId === null) {
    await slot.giveBack();
    throw alreadyExist();
  }
  await startUsage(userId);
  await queues.enqueueWelcome(userId.toHexString());
  return { id: userId.toHexString(), email };
}
