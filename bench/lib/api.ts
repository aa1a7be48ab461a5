import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { send, sendJson, type Reply } from './http';

/** The few API calls the bench makes outside of timed runs, each checked. */

export function expectStatus(reply: Reply, status: number, what: string): Reply {
  if (reply.status !== status) throw new Error(`${what} answered ${reply.status}: ${reply.text.slice(0, 200)}`);
  return reply;
}

export function idOf(reply: Reply): string {
  return (JSON.parse(reply.text) as { id: string }).id;
}

export async function signUpAndLogIn(baseUrl: string): Promise<string> {
  const email = `bench-${randomBytes(6).toString('hex')}@example.com`;
  const password = randomBytes(12).toString('hex');
  expectStatus(await sendJson(`${baseUrl}/users`, 'POST', {}, { email, password }), 201, 'POST /users');
  const authorization = `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`;
  const reply = expectStatus(await send(`${baseUrl}/connect`, 'GET', { Authorization: authorization }), 200, 'GET /connect');
  return (JSON.parse(reply.text) as { token: string }).token;
}

export async function createFolder(baseUrl: string, token: string, name: string): Promise<string> {
  const reply = await sendJson(`${baseUrl}/files`, 'POST', { 'X-Token': token }, { name, type: 'folder' });
  return idOf(expectStatus(reply, 201, 'POST /files (folder)'));
}

/** A raw-body upload streamed from `file`, metadata in the query string. */
export async function uploadFile(
  baseUrl: string,
  token: string,
  file: string,
  size: number,
  fields: Record<string, string>,
): Promise<string> {
  const query = new URLSearchParams(fields).toString();
  const headers = { 'X-Token': token, 'Content-Type': 'application/octet-stream', 'Content-Length': size };
  const reply = await send(`${baseUrl}/files?${query}`, 'POST', headers, createReadStream(file));
  return idOf(expectStatus(reply, 201, 'POST /files (raw)'));
}

export async function deleteFile(baseUrl: string, token: string, id: string): Promise<void> {
  expectStatus(await send(`${baseUrl}/files/${id}`, 'DELETE', { 'X-Token': token }), 204, 'DELETE /files/:id');
}
