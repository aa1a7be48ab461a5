import { createHmac } from 'node:crypto';
import { config } from '../config';
import { sharedKey } from './secrets';

/**
 * HMAC-SHA256 with the deployment's one signing key, for what a server hands out and any server
 * must accept (signed URLs, link sessions): URL_SIGNING_SECRET, else a key made once and kept in
 * the database (utils/auth/secrets.ts).
 */

const KEY_NAME = 'url-signing';
let key: Promise<Buffer> | undefined;

function signingKey(): Promise<Buffer> {
  const secret = config().urlSigningSecret;
  if (secret !== undefined) return Promise.resolve(Buffer.from(secret, 'utf8'));
  key ??= sharedKey(KEY_NAME).catch((error: unknown) => {
    // Not kept: the next request asks the database again.
    key = undefined;
    throw error;
  });
  return key;
}

export async function sign(text: string): Promise<Buffer> {
  return createHmac('sha256', await signingKey()).update(text).digest();
}

/**
 * A signature as it appears in a URL or a cookie: the base64url of 32 bytes in its one canonical
 * spelling. Its last character carries 4 bits and 2 unused ones a decoder ignores, so without the
 * last class, 4 spellings of every signature would verify: changes that must be refused.
 */
export const SIGNATURE_PATTERN = '[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]';
