import { createReadStream } from 'node:fs';
import { request, requestJson, type Reply } from '../../scripts/lib/client';

/** The few API calls the bench makes outside of timed runs, each checked. */

export function expectStatus(reply: Reply, status: number, what: string): Reply {
  if (reply.status !== status) throw new Error(`${what} answered ${reply.status}: ${reply.text.slice(0, 200)}`);
  return reply;
}

export function idOf(reply: Reply): string {
  return (JSON.parse(reply.text) as { id: string }).id;
}

export async function createFolder(baseUrl: string, token: string, name: string): Promise<string> {
  const reply = await requestJson('POST', `${baseUrl}/files`, { name, type: 'folder' }, { headers: { 'X-Token': token } });
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
  const reply = await request('POST', `${baseUrl}/files?${query}`, { headers, body: createReadStream(file) });
  return idOf(expectStatus(reply, 201, 'POST /files (raw)'));
}

export async function deleteFile(baseUrl: string, token: string, id: string): Promise<void> {
  expectStatus(await request('DELETE', `${baseUrl}/files/${id}`, { headers: { 'X-Token': token } }), 204, 'DELETE /files/:id');
}
