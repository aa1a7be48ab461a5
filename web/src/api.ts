/**
 * The client of the Files Manager API. Every call goes to this origin (the CSP allows nothing
 * else) and carries the token in the X-Token header, never in the URL.
 */
import type { components } from './generated/openapi.js';
import { currentSession } from './session.js';

/** The API's shapes, generated from its OpenAPI document (npm run types). */
export type FileDoc = components['schemas']['File'];
export type User = components['schemas']['User'];
export type FileType = FileDoc['type'];
/** The root folder is 0 in the API, every other folder a hex id. */
export type FolderId = FileDoc['parentId'];

/** The contract's page size: a shorter page is the last one. */
export const PAGE_SIZE = 20;

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const UNREACHABLE = 'The server could not be reached. Check that it is running and try again.';

let unauthorizedHandler: () => void = () => undefined;

/** Called whenever the API rejects the token, so the app can return to the login form. */
export function onUnauthorized(handler: () => void): void {
  unauthorizedHandler = handler;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFileDoc(value: unknown): value is FileDoc {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.name === 'string' &&
    (value.type === 'folder' || value.type === 'file' || value.type === 'image') &&
    typeof value.isPublic === 'boolean' &&
    (value.parentId === 0 || typeof value.parentId === 'string')
  );
}

function asFileDoc(value: unknown): FileDoc {
  if (!isFileDoc(value)) throw new ApiError(0, 'The server sent an unexpected answer.');
  return value;
}

function errorMessage(status: number, body: unknown): string {
  if (isRecord(body) && typeof body.error === 'string' && body.error !== '') return body.error;
  return `The request failed (HTTP ${status}).`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

interface RequestOptions {
  json?: unknown;
  headers?: Record<string, string>;
  /** false for sign-up and login, which have no token yet. */
  auth?: boolean;
  signal?: AbortSignal;
}

async function request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  const auth = options.auth ?? true;
  if (auth) {
    const session = currentSession();
    if (session === undefined) {
      unauthorizedHandler();
      throw new ApiError(401, 'Unauthorized');
    }
    headers.set('X-Token', session.token);
  }
  let body: string | undefined;
  if (options.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(options.json);
  }
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body, signal: options.signal, credentials: 'omit', redirect: 'error' });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, UNREACHABLE);
  }
  if (!response.ok) {
    const failure = new ApiError(response.status, errorMessage(response.status, parseJson(await response.text())));
    if (auth && response.status === 401) unauthorizedHandler();
    throw failure;
  }
  return response;
}

async function requestJson(method: string, path: string, options?: RequestOptions): Promise<unknown> {
  const response = await request(method, path, options);
  return parseJson(await response.text());
}

function folderParam(parentId: FolderId): string {
  return parentId === 0 ? '0' : parentId;
}

/** Basic credentials are base64 of UTF-8 bytes; btoa alone only takes Latin-1. */
function basicCredentials(email: string, password: string): string {
  const bytes = new TextEncoder().encode(`${email}:${password}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

export async function signUp(email: string, password: string): Promise<User> {
  const body = await requestJson('POST', '/users', { json: { email, password }, auth: false });
  if (!isRecord(body) || typeof body.id !== 'string' || typeof body.email !== 'string') {
    throw new ApiError(0, 'The server sent an unexpected answer.');
  }
  return { id: body.id, email: body.email };
}

export async function logIn(email: string, password: string): Promise<string> {
  const body = await requestJson('GET', '/connect', { headers: { Authorization: basicCredentials(email, password) }, auth: false });
  if (!isRecord(body) || typeof body.token !== 'string') throw new ApiError(0, 'The server sent an unexpected answer.');
  return body.token;
}

export async function logOut(token: string): Promise<void> {
  await request('GET', '/disconnect', { headers: { 'X-Token': token }, auth: false });
}

export async function currentUser(): Promise<User> {
  const body = await requestJson('GET', '/users/me');
  if (!isRecord(body) || typeof body.id !== 'string' || typeof body.email !== 'string') {
    throw new ApiError(0, 'The server sent an unexpected answer.');
  }
  return { id: body.id, email: body.email };
}

export async function listFiles(parentId: FolderId, page: number, signal?: AbortSignal): Promise<FileDoc[]> {
  const query = new URLSearchParams({ parentId: folderParam(parentId), page: String(page) });
  const body = await requestJson('GET', `/files?${query.toString()}`, { signal });
  if (!Array.isArray(body)) throw new ApiError(0, 'The server sent an unexpected answer.');
  return body.map(asFileDoc);
}

/** Every folder directly inside `parentId`, reading page after page (for the move dialog). */
export async function listFolders(parentId: FolderId, signal?: AbortSignal): Promise<FileDoc[]> {
  const folders: FileDoc[] = [];
  // A bound, so a huge folder cannot keep the dialog loading forever.
  for (let page = 0; page < 100; page += 1) {
    const files = await listFiles(parentId, page, signal);
    folders.push(...files.filter((file) => file.type === 'folder'));
    if (files.length < PAGE_SIZE) break;
  }
  return folders;
}

export async function createFolder(name: string, parentId: FolderId): Promise<FileDoc> {
  return asFileDoc(await requestJson('POST', '/files', { json: { name, type: 'folder', parentId: folderParam(parentId) } }));
}

export async function updateFile(id: string, changes: { name?: string; parentId?: FolderId }): Promise<FileDoc> {
  const json: Record<string, string> = {};
  if (changes.name !== undefined) json.name = changes.name;
  if (changes.parentId !== undefined) json.parentId = folderParam(changes.parentId);
  return asFileDoc(await requestJson('PATCH', `/files/${encodeURIComponent(id)}`, { json }));
}

export async function deleteFile(id: string): Promise<void> {
  await request('DELETE', `/files/${encodeURIComponent(id)}`);
}

export async function setPublished(id: string, published: boolean): Promise<FileDoc> {
  return asFileDoc(await requestJson('PUT', `/files/${encodeURIComponent(id)}/${published ? 'publish' : 'unpublish'}`));
}

/** The address anyone can fetch a public file from. */
export function publicLink(id: string): string {
  return new URL(`/files/${encodeURIComponent(id)}/data`, location.origin).href;
}

export interface DataOptions {
  size?: 100 | 250 | 500;
  method?: 'GET' | 'HEAD';
  range?: { first: number; last: number };
  signal?: AbortSignal;
}

/** A file's bytes (or a thumbnail's), fetched with the token; the caller reads the body. */
export async function fileData(id: string, options: DataOptions = {}): Promise<Response> {
  const query = options.size === undefined ? '' : `?size=${options.size}`;
  const headers: Record<string, string> = {};
  if (options.range !== undefined) headers.Range = `bytes=${options.range.first}-${options.range.last}`;
  return request(options.method ?? 'GET', `/files/${encodeURIComponent(id)}/data${query}`, { headers, signal: options.signal });
}

/** Raster formats an <img> shows without running anything (unlike SVG, never listed). */
const RASTER_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp'];
/** Formats the worker makes thumbnails of: only these are uploaded as type "image". */
const THUMBNAILED_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/tiff'];

function mediaType(contentType: string): string {
  return contentType.split(';')[0]?.trim().toLowerCase() ?? '';
}

export function isRasterImage(contentType: string): boolean {
  return RASTER_TYPES.includes(mediaType(contentType));
}

export interface UploadHandle {
  done: Promise<FileDoc>;
  abort: () => void;
}

/**
 * Uploads one file as a raw body with its metadata in the query string: streamed by the
 * server, and XMLHttpRequest (unlike fetch) reports upload progress.
 */
export function uploadFile(file: File, parentId: FolderId, onProgress: (loaded: number, total: number) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const done = new Promise<FileDoc>((resolve, reject) => {
    const session = currentSession();
    if (session === undefined) {
      unauthorizedHandler();
      reject(new ApiError(401, 'Unauthorized'));
      return;
    }
    const type = THUMBNAILED_TYPES.includes(mediaType(file.type)) ? 'image' : 'file';
    const query = new URLSearchParams({ name: file.name, type, parentId: folderParam(parentId), isPublic: 'false' });
    xhr.open('POST', `/files?${query.toString()}`);
    xhr.setRequestHeader('X-Token', session.token);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.addEventListener('progress', (event) => {
      onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    });
    xhr.addEventListener('load', () => {
      const body = parseJson(xhr.responseText);
      if (xhr.status === 201) {
        if (isFileDoc(body)) resolve(body);
        else reject(new ApiError(0, 'The server sent an unexpected answer.'));
        return;
      }
      if (xhr.status === 401) unauthorizedHandler();
      reject(new ApiError(xhr.status, errorMessage(xhr.status, body)));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, UNREACHABLE)));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'Upload cancelled')));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}
