import { randomBytes } from 'node:crypto';
import { signUpAndLogIn, type Account } from '../../scripts/lib/client';
import type { components, operations } from '../../web/src/generated/openapi';
import { harness } from './harness';
import { api, type RequestOptions } from './http';

/** Users and files made through the API, as a client makes them. */

export function uniqueEmail(): string {
  return `user-${randomBytes(8).toString('hex')}@example.com`;
}

export { basicAuth } from '../../scripts/lib/client';

export type TestUser = Account;

/** Signs up a new user and logs in. */
export function createUser(options: Pick<RequestOptions, 'baseUrl' | 'localAddress'> = {}): Promise<TestUser> {
  return signUpAndLogIn(options.baseUrl ?? harness().baseUrl, 'user', { localAddress: options.localAddress });
}

/** The shapes of the API's answers, generated from its OpenAPI document (npm run types). */
export type UserBody = components['schemas']['User'];
export type PublicFileBody = components['schemas']['File'];
export type LinkBody = components['schemas']['Link'];
export type SignedUrlBody = operations['signDownloadUrl']['responses'][200]['content']['application/json'];

/** Typed as a Record, so the compiler rejects a key the generated shape lacks or one it forgot. */
const PUBLIC_FILE_FIELDS: Record<keyof PublicFileBody, true> = { id: true, userId: true, name: true, type: true, isPublic: true, parentId: true };
export const PUBLIC_FILE_KEYS = Object.keys(PUBLIC_FILE_FIELDS);

/** Uploads through `POST /files` (JSON, base64) and returns the created document; throws unless 201. */
export async function upload(token: string, fields: Record<string, unknown>, options: Pick<RequestOptions, 'baseUrl'> = {}): Promise<PublicFileBody> {
  const response = await api('POST', '/files', { ...options, token, json: fields });
  if (response.status !== 201) throw new Error(`upload failed: ${response.status} ${response.text}`);
  return response.body as PublicFileBody;
}

export function base64(text: string | Buffer): string {
  return Buffer.from(text).toString('base64');
}

/** An image of the given size in `format`, half transparent when the format allows it, made with sharp. */
export async function makeImage(width: number, height: number, format: 'png' | 'jpeg' | 'webp' = 'png'): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  return sharp({ create: { width, height, channels: 4, background: { r: 200, g: 40, b: 90, alpha: 0.5 } } })
    .toFormat(format)
    .toBuffer();
}
