import { config } from '../config';
import type { UserDoc } from '../db';
import { unauthorized, type HttpError } from '../errors';
import { findUserByEmail, replacePasswordHash } from '../users/store';
import { hashPassword, needsUpgrade, verifyPassword } from './passwords';
import { beginLogin } from './throttle';
import { issueToken } from './tokens';

export interface Credentials {
  email: string;
  password: string;
}

/** RFC 7617: a 401 for Basic credentials says which scheme to use, so curl --anyauth and browsers can answer it. */
export const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="files-manager", charset="UTF-8"' } as const;

export const badCredentials = (): HttpError => unauthorized(BASIC_CHALLENGE);

/** Splits `Basic base64(email:password)` at the first colon; null for anything else. */
export function parseBasicAuth(header: string | undefined): Credentials | null {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header ?? '');
  if (match?.[1] === undefined) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { email: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Checks credentials and returns a new token valid for 24 hours. Throws 429 while the
 * account is locked for `address`, or the address itself, before the password is looked at.
 */
export async function logIn(credentials: Credentials, address: string): Promise<string> {
  const attempt = await beginLogin(credentials.email, address);
  let user: UserDoc | null;
  try {
    const found = await findUserByEmail(credentials.email);
    user = found !== null && (await verifyPassword(credentials.password, found.password)) ? found : null;
  } catch (error) {
    // An outage mid-check is nobody's wrong password.
    await attempt.settle('not-checked').catch(() => undefined);
    throw error;
  }
  if (user === null) {
    await attempt.settle('failure');
    throw badCredentials();
  }
  await attempt.settle('success');

  const scheme = config().passwordHash;
  if (needsUpgrade(user.password, scheme)) await replacePasswordHash(user, await hashPassword(credentials.password, scheme));
  return issueToken(user._id);
}
