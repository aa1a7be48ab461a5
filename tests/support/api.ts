import { randomBytes } from 'node:crypto';
import { api, type RequestOptions } from './http';

/** Users and files made through the API, as a client makes them. */

export function uniqueEmail(): string {
  return `user-${randomBytes(8).toString('hex')}@example.com`;
}

export function basicAuth(email: string, password: string): string {
  return `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`;
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  token: string;
}

/** Signs up a new user and logs in. */
export async function createUser(options: Pick<RequestOptions, 'baseUrl' | 'localAddress'> = {}): Promise<TestUser> {
  const email = uniqueEmail();
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const created = await api('POST', '/users', { ...options, json: { email, password } });
  if (created.status !== 201) throw new Error(`sign-up failed: ${created.status} ${created.text}`);
  const connected = await api('GET', '/connect', { ...options, headers: { Authorization: basicAuth(email, password) } });
  if (connected.status !== 200) throw new Error(`login failed: ${connected.status} ${connected.text}`);
  const { id } = created.body as { id: string };
  const { token } = connected.body as { token: string };
  return { id, email, password, token };
}

export interface PublicFileBody {
  id: string;
  userId: string;
  name: string;
  type: string;
  isPublic: boolean;
  parentId: 0 | string;
}

export const PUBLIC_FILE_KEYS = ['id', 'userId', 'name', 'type', 'isPublic', 'parentId'];

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
