/**
 * The client of the Files Manager API. Every call goes to this origin (the CSP allows nothing
 * else) and carries the token in the X-Token header, never in the URL. What the browser loads
 * by itself (an <img>, a download) cannot send that header: it gets a signed URL instead.
 */
import type { components, operations } from './generated/openapi.js';
import { ApiError, errorMessage, isRecord, parseJson, send, UNEXPECTED, UnreachableError } from './http.js';
import { uploadType } from './media.js';
import { currentSession } from './session.js';
import { tusLibrary, type TusDetailedError, type TusHttpResponse, type TusLibrary, type TusPreviousUpload } from './tus.js';

/** The API's shapes, generated from its OpenAPI document (npm run types). */
export type FileDoc = components['schemas']['File'];
export type User = components['schemas']['User'];
export type FileType = FileDoc['type'];
/** The root folder is 0 in the API, every other folder a hex id. */
export type FolderId = FileDoc['parentId'];

/** A shared link as its owner sees it (POST/GET /files/:id/links). */
export type Link = components['schemas']['Link'];
export type LinkOptions = NonNullable<operations['createLink']['requestBody']>['content']['application/json'];

/** An item as `fields=all` lists it: also its size (null for a folder) and creation date. */
export type DetailedFile = components['schemas']['DetailedFile'];

/** The orders GET /files can list in (`-` for descending); ties are broken by id. */
export const SORT_KEYS = ['name', '-name', 'size', '-size', 'createdAt', '-createdAt'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** An item of the trash (GET /trash): where it was (parentId), when it went, when it goes for good. */
export type TrashedFile = components['schemas']['TrashedFile'];
/** GET /users/me/usage: bytes counted against the quota (null: unlimited), the trash's share, files. */
export type Usage = components['schemas']['Usage'];

export { ApiError } from './http.js';
export { isRasterImage } from './media.js';

/** The contract's page size: a shorter page is the last one. */
export const PAGE_SIZE = 20;

let unauthorizedHandler: () => void = () => undefined;

/** Called whenever the API rejects the token, so the app can return to the login form. */
export function onUnauthorized(handler: () => void): void {
  unauthorizedHandler = handler;
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
  if (!isFileDoc(value)) throw new ApiError(0, UNEXPECTED);
  return value;
}

/** The root is stored, and so echoed, as 0 or "0". */
export function isRootId(parentId: FolderId): boolean {
  return parentId === 0 || parentId === '0';
}

/** The API echoes the root as 0 or "0". */
export function sameFolder(a: FolderId, b: FolderId): boolean {
  return isRootId(a) ? isRootId(b) : String(a) === String(b);
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
  const response = await send(path, { method, headers, json: options.json, signal: options.signal, credentials: 'omit' });
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
    throw new ApiError(0, UNEXPECTED);
  }
  return { id: body.id, email: body.email };
}

export async function logIn(email: string, password: string): Promise<string> {
  const body = await requestJson('GET', '/connect', { headers: { Authorization: basicCredentials(email, password) }, auth: false });
  if (!isRecord(body) || typeof body.token !== 'string') throw new ApiError(0, UNEXPECTED);
  return body.token;
}

export async function logOut(token: string): Promise<void> {
  await request('GET', '/disconnect', { headers: { 'X-Token': token }, auth: false });
}

export async function currentUser(): Promise<User> {
  const body = await requestJson('GET', '/users/me');
  if (!isRecord(body) || typeof body.id !== 'string' || typeof body.email !== 'string') {
    throw new ApiError(0, UNEXPECTED);
  }
  return { id: body.id, email: body.email };
}

export async function listFiles(parentId: FolderId, page: number, signal?: AbortSignal): Promise<FileDoc[]> {
  const query = new URLSearchParams({ parentId: folderParam(parentId), page: String(page) });
  const body = await requestJson('GET', `/files?${query.toString()}`, { signal });
  if (!Array.isArray(body)) throw new ApiError(0, UNEXPECTED);
  return body.map(asFileDoc);
}

export interface ListQuery {
  parentId: FolderId;
  sort?: SortKey;
  type?: FileType;
  /** A part of the name; with `recursive`, items anywhere under the folder, not only its children. */
  q?: string;
  recursive?: boolean;
  /** Items in the first page: more than the page size to list again as many as were shown. */
  limit?: number;
}

/** One page of a listing, and the URL of the next while there is one (the answer's `Link: <…>; rel="next"`). */
export interface FilePage {
  files: DetailedFile[];
  next: string | undefined;
}

function asDetailedFile(value: unknown): DetailedFile {
  const { id, userId, name, type, isPublic, parentId } = asFileDoc(value);
  const extra = value as Record<string, unknown>;
  return {
    id,
    userId,
    name,
    type,
    isPublic,
    parentId,
    size: isByteCount(extra.size) ? extra.size : null,
    sha256: typeof extra.sha256 === 'string' ? extra.sha256 : null,
    createdAt: isDate(extra.createdAt) ? extra.createdAt : null,
  };
}

/** The target of a Link header's `rel="next"` (RFC 8288: several links, each `<uri>` and its parameters). */
function nextLink(header: string | null): string | undefined {
  for (const [, uri, params] of (header ?? '').matchAll(/<([^>]*)>([^<]*)/g)) {
    const rel = /;\s*rel\s*=\s*("([^"]*)"|[^\s;,]+)/i.exec(params ?? '');
    const relations = (rel?.[2] ?? rel?.[1] ?? '').toLowerCase().split(/\s+/);
    if (relations.includes('next')) return uri;
  }
  return undefined;
}

async function readPage(path: string, signal?: AbortSignal): Promise<FilePage> {
  const response = await request('GET', path, { signal });
  const body = parseJson(await response.text());
  if (!Array.isArray(body)) throw new ApiError(0, UNEXPECTED);
  return { files: body.map(asDetailedFile), next: nextLink(response.headers.get('Link')) };
}

/** `GET /files` with `fields=all`: the first page of a folder, a search or a filter. */
export function listPage(query: ListQuery, signal?: AbortSignal): Promise<FilePage> {
  const params = new URLSearchParams({ parentId: folderParam(query.parentId), fields: 'all' });
  if (query.sort !== undefined) params.set('sort', query.sort);
  if (query.type !== undefined) params.set('type', query.type);
  if (query.q !== undefined && query.q !== '') params.set('q', query.q);
  if (query.recursive === true) params.set('recursive', 'true');
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  return readPage(`/files?${params.toString()}`, signal);
}

/**
 * The page a previous one's `next` names. The server writes an absolute URL, from its own idea of
 * its address; only its path and query are used, as the CSP lets the page reach this origin only.
 */
export function listMore(next: string, signal?: AbortSignal): Promise<FilePage> {
  const url = new URL(next, location.href);
  if (url.pathname !== '/files') throw new ApiError(0, UNEXPECTED);
  return readPage(`${url.pathname}${url.search}`, signal);
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

/** `GET /files/:id`: one item of the caller's; 404 once it is in the trash or gone. */
export async function getFile(id: string): Promise<FileDoc> {
  return asFileDoc(await requestJson('GET', `/files/${encodeURIComponent(id)}`));
}

export async function setPublished(id: string, published: boolean): Promise<FileDoc> {
  return asFileDoc(await requestJson('PUT', `/files/${encodeURIComponent(id)}/${published ? 'publish' : 'unpublish'}`));
}

function isLink(value: unknown): value is Link {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.fileId === 'string' &&
    typeof value.url === 'string' &&
    (value.expiresAt === null || typeof value.expiresAt === 'string') &&
    (value.maxDownloads === null || typeof value.maxDownloads === 'number') &&
    typeof value.downloads === 'number' &&
    typeof value.hasPassword === 'boolean' &&
    typeof value.allowUpload === 'boolean' &&
    typeof value.createdAt === 'string'
  );
}

function asLink(value: unknown): Link {
  if (!isLink(value)) throw new ApiError(0, UNEXPECTED);
  return value;
}

/** `POST /files/:id/links`: a new link to a file or folder; every option may be left out. */
export async function createLink(fileId: string, options: LinkOptions): Promise<Link> {
  return asLink(await requestJson('POST', `/files/${encodeURIComponent(fileId)}/links`, { json: options }));
}

/** `GET /files/:id/links`: the item's links, oldest first. */
export async function listLinks(fileId: string, signal?: AbortSignal): Promise<Link[]> {
  const body = await requestJson('GET', `/files/${encodeURIComponent(fileId)}/links`, { signal });
  if (!Array.isArray(body)) throw new ApiError(0, UNEXPECTED);
  return body.map(asLink);
}

/** `DELETE /links/:id`: the link's URL answers 404 from now on. */
export async function revokeLink(linkId: string): Promise<void> {
  await request('DELETE', `/links/${encodeURIComponent(linkId)}`);
}

const isDate = (value: unknown): value is string => typeof value === 'string' && !Number.isNaN(Date.parse(value));

function asTrashedFile(value: unknown): TrashedFile {
  if (!isRecord(value) || !isDate(value.trashedAt) || !isDate(value.purgeAt)) throw new ApiError(0, UNEXPECTED);
  const { trashedAt, purgeAt } = value;
  const { id, userId, name, type, isPublic, parentId } = asFileDoc(value);
  return { id, userId, name, type, isPublic, parentId, trashedAt, purgeAt };
}

/** `GET /trash?page=N`: 20 items a page, newest first; what was under a deleted folder is not listed, it comes back with it. */
export async function listTrash(page: number, signal?: AbortSignal): Promise<TrashedFile[]> {
  const body = await requestJson('GET', `/trash?${new URLSearchParams({ page: String(page) }).toString()}`, { signal });
  if (!Array.isArray(body)) throw new ApiError(0, UNEXPECTED);
  return body.map(asTrashedFile);
}

/** `POST /trash/:id/restore`: the item as it is now; its parentId is 0 when its old folder was gone. */
export async function restoreFromTrash(id: string): Promise<FileDoc> {
  return asFileDoc(await requestJson('POST', `/trash/${encodeURIComponent(id)}/restore`));
}

/** `DELETE /trash/:id`: the item, and what went with it, for good. */
export async function deleteFromTrash(id: string): Promise<void> {
  await request('DELETE', `/trash/${encodeURIComponent(id)}`);
}

/** `DELETE /trash`: everything in it, for good. */
export async function emptyTrash(): Promise<void> {
  await request('DELETE', '/trash');
}

const isByteCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** `GET /users/me/usage`. */
export async function currentUsage(signal?: AbortSignal): Promise<Usage> {
  const body = await requestJson('GET', '/users/me/usage', { signal });
  if (!isRecord(body) || !isByteCount(body.used) || !(body.quota === null || isByteCount(body.quota)) || !isByteCount(body.trash) || !isByteCount(body.files)) {
    throw new ApiError(0, UNEXPECTED);
  }
  return { used: body.used, quota: body.quota, trash: body.trash, files: body.files };
}

/** The address anyone can fetch a public file from. */
export function publicLink(id: string): string {
  return new URL(`/files/${encodeURIComponent(id)}/data`, location.origin).href;
}

export interface DataOptions {
  method?: 'GET' | 'HEAD';
  range?: { first: number; last: number };
  signal?: AbortSignal;
}

/** A file's bytes, fetched with the token, for what the page itself reads; the caller reads the body. */
export async function fileData(id: string, options: DataOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (options.range !== undefined) headers.Range = `bytes=${options.range.first}-${options.range.last}`;
  return request(options.method ?? 'GET', `/files/${encodeURIComponent(id)}/data`, { headers, signal: options.signal });
}

type SignUrlBody = NonNullable<operations['signDownloadUrl']['requestBody']>['content']['application/json'];
type SignedUrlAnswer = operations['signDownloadUrl']['responses'][200]['content']['application/json'];

/** `size`: a thumbnail width, the URL serves that thumbnail; `disposition: 'attachment'`: the browser saves the answer instead of showing it. */
export type SignedUrlOptions = Pick<SignUrlBody, 'size' | 'disposition'>;

/** How long a signed URL is asked for: an <img> shown again within the hour is answered by the browser's cache. */
const SIGNED_URL_SECONDS = 3600;
/**
 * A cached URL is handed out only while this much of its life is left, so that what starts with
 * it (an <img> still loading, a download the browser resumes after a network drop) finds it valid.
 */
const SIGNED_URL_MARGIN_MS = 5 * 60 * 1000;

interface SignedUrlEntry {
  url: Promise<string>;
  /** Once the answer came: the URL, and this clock's time after which it is not handed out any more. */
  known?: { url: string; reuseUntil: number };
}

/**
 * Signed URLs by (file, size, disposition): the same thumbnail shown again gets the same URL,
 * which the browser's HTTP cache answers without a request. A request still on its way is
 * shared too, so a listing never asks twice for one URL.
 */
const signedUrls = new Map<string, SignedUrlEntry>();

/** The URLs read files as their owner would: none may outlive the session that asked for them. */
export function forgetSignedUrls(): void {
  signedUrls.clear();
}

function signedUrlKey(id: string, options: SignedUrlOptions): string {
  return JSON.stringify([id, options.size ?? null, options.disposition ?? null]);
}

/**
 * The answer's URL, if it is what the app asked for: this file's content, signed, on this
 * origin (the app's CSP lets <img> and fetch reach nothing else; a server whose PUBLIC_URL names
 * another address is misconfigured for this app).
 */
function checkedSignedUrl(id: string, answer: unknown): SignedUrlAnswer {
  if (!isRecord(answer) || typeof answer.url !== 'string' || typeof answer.expiresAt !== 'string' || Number.isNaN(Date.parse(answer.expiresAt))) {
    throw new ApiError(0, UNEXPECTED);
  }
  const url = URL.canParse(answer.url) ? new URL(answer.url) : undefined;
  if (url === undefined || url.pathname !== `/files/${encodeURIComponent(id)}/data` || !url.searchParams.has('signature')) {
    throw new ApiError(0, UNEXPECTED);
  }
  if (url.origin !== location.origin) throw new ApiError(0, `The server handed out a link to ${url.origin}, which this page cannot use: check its PUBLIC_URL.`);
  return { url: url.href, expiresAt: answer.expiresAt };
}

async function requestSignedUrl(id: string, options: SignedUrlOptions): Promise<{ url: string; reuseUntil: number }> {
  const asked = Date.now();
  const json: SignUrlBody = { expiresIn: SIGNED_URL_SECONDS, size: options.size, disposition: options.disposition };
  const signed = checkedSignedUrl(id, await requestJson('POST', `/files/${encodeURIComponent(id)}/url`, { json }));
  // Counted on both clocks: the server's expiresAt alone would be trusted too long by a clock running behind it.
  const expires = Math.min(Date.parse(signed.expiresAt), asked + SIGNED_URL_SECONDS * 1000);
  return { url: signed.url, reuseUntil: expires - SIGNED_URL_MARGIN_MS };
}

/**
 * A URL of a file's content (or of one of its thumbnails) that needs no token until it expires,
 * for an <img src> or the browser's own download manager: the token itself never goes in a URL.
 */
export function signedUrl(id: string, options: SignedUrlOptions = {}): Promise<string> {
  const key = signedUrlKey(id, options);
  const cached = signedUrls.get(key);
  if (cached !== undefined && (cached.known === undefined || Date.now() < cached.known.reuseUntil)) return cached.url;
  const entry: SignedUrlEntry = {
    url: requestSignedUrl(id, options).then((known) => {
      entry.known = known;
      return known.url;
    }),
  };
  signedUrls.set(key, entry);
  // A failure is not kept: the next caller asks again.
  entry.url.catch(() => {
    if (signedUrls.get(key) === entry) signedUrls.delete(key);
  });
  return entry.url;
}

/** The URL signedUrl would hand out at once, without waiting for an answer: for redrawing what is already shown. */
export function cachedSignedUrl(id: string, options: SignedUrlOptions = {}): string | undefined {
  const known = signedUrls.get(signedUrlKey(id, options))?.known;
  return known !== undefined && Date.now() < known.reuseUntil ? known.url : undefined;
}

export interface UploadEvents {
  progress(loaded: number, total: number): void;
  /** The server already holds `offset` bytes: from before a reload, or before the network dropped. */
  resuming(offset: number, total: number): void;
  /**
   * A request failed in a way worth trying again (`noAnswer`: the network, not the server); the
   * upload waits, then carries on from the server's offset.
   */
  retrying(noAnswer: boolean): void;
}

export interface UploadHandle {
  done: Promise<FileDoc>;
  /** Stops the upload and deletes what the server holds of it. */
  cancel: () => void;
  /** Stops the upload but leaves it on the server, so picking the same file again resumes it. */
  pause: () => void;
}

const UPLOADS_ENDPOINT = '/uploads';

/**
 * Proxies in front of an API often cap a request body at 100 MB (Cloudflare's default, many
 * nginx setups): a chunk of half that stays clear of such a cap with room to spare, and bounds
 * what one failed request sends again. Smaller files go in a single PATCH.
 */
const CHUNK_SIZE = 50 * 1024 * 1024;

/**
 * About two and a half minutes of waiting in all, so a network that drops for a minute (a
 * tunnel, a Wi-Fi handover, a laptop lid) does not fail the upload. The library starts the
 * count again whenever the server accepted more bytes since the last failure.
 */
const RETRY_DELAYS_MS = [0, 1_000, 3_000, 5_000, 10_000, 15_000, 20_000, 30_000, 30_000, 30_000];

/** 507: the upload would take its owner past their quota. Only freeing space changes that, not waiting. */
export const QUOTA_EXCEEDED = 507;

/**
 * No answer at all, a server error (but a full quota), or one of the two conflicts that clear up
 * by themselves: 409 (the offset moved; the next attempt asks the server for it again) and 423
 * (another request, such as the one a page reload cut off, still holds the upload). Unlike the
 * library's default, this retries while the browser says it is offline: that is the very wait to sit through.
 */
function worthRetrying(error: TusDetailedError): boolean {
  const status = error.originalResponse?.getStatus() ?? 0;
  return status === 0 || (status >= 500 && status !== QUOTA_EXCEEDED) || status === 409 || status === 423;
}

/**
 * The key under which the URL of an unfinished upload is kept in localStorage (by the library's
 * URL storage; the token never goes there): the same file picked again into the same folder
 * resumes. A File carries no content hash, so name, type, size and modification time stand in.
 * Each part is escaped, as the storage finds entries by a "fingerprint::" prefix.
 */
function fingerprintOf(file: File, parentId: FolderId): string {
  return ['files-manager', folderParam(parentId), file.name, file.type, file.size, file.lastModified].map((part) => encodeURIComponent(String(part))).join('/');
}

/** Upload URLs some upload of this page is using: two picks of one file must not share one. */
const urlsInUse = new Set<string>();

function newest(uploads: TusPreviousUpload[]): TusPreviousUpload | undefined {
  const time = (upload: TusPreviousUpload): number => {
    const parsed = Date.parse(upload.creationTime);
    return Number.isNaN(parsed) ? 0 : parsed;
  };
  return uploads.reduce<TusPreviousUpload | undefined>((best, upload) => (best === undefined || time(upload) > time(best) ? upload : best), undefined);
}

async function forgetStoredUrl(tus: TusLibrary, fingerprint: string, url: string | null): Promise<void> {
  if (url === null) return;
  const storage = tus.defaultOptions.urlStorage;
  const stored = await storage.findUploadsByFingerprint(fingerprint).catch((): TusPreviousUpload[] => []);
  for (const entry of stored) if (entry.uploadUrl === url) await storage.removeUpload(entry.urlStorageKey).catch(() => undefined);
}

/**
 * A refusal that trying again later cannot change (a folder gone, a file too large, an upload
 * expired, no room left): the upload is deleted and forgotten, so that picking the file again
 * starts afresh. Network failures, server errors and an ended session keep it, to resume later.
 */
function isDeadEnd(failure: ApiError): boolean {
  return (failure.status >= 400 && failure.status < 500 && failure.status !== 401) || failure.status === QUOTA_EXCEEDED;
}

function uploadError(tus: TusLibrary, error: Error): ApiError {
  if (!(error instanceof tus.DetailedError)) return new ApiError(0, error.message);
  const status = error.originalResponse?.getStatus() ?? 0;
  if (error.originalResponse === null || status === 0) return new UnreachableError();
  if (status < 400) return new ApiError(0, UNEXPECTED);
  if (status === 401) unauthorizedHandler();
  return new ApiError(status, errorMessage(status, parseJson(error.originalResponse.getBody())));
}

/** The upload's own patience, for the requests that follow its last byte. */
async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
  for (const delay of RETRY_DELAYS_MS) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof UnreachableError) && !(error instanceof ApiError && error.status >= 500)) throw error;
      await new Promise((wake) => window.setTimeout(wake, delay));
    }
  }
  return attempt();
}

/**
 * The id of the file a finished upload became: on the response that finished it, else (when
 * the library took "finished" from an earlier answer) from the upload itself.
 */
async function completedFileId(lastResponse: TusHttpResponse, uploadUrl: string | null): Promise<string> {
  const fromResponse = lastResponse.getHeader('File-Id');
  if (typeof fromResponse === 'string' && fromResponse !== '') return fromResponse;
  if (uploadUrl !== null) {
    const response = await request('HEAD', uploadUrl, { headers: { 'Tus-Resumable': '1.0.0' } });
    const fromHead = response.headers.get('File-Id');
    if (fromHead !== null && fromHead !== '') return fromHead;
  }
  throw new ApiError(0, UNEXPECTED);
}

/**
 * Uploads one file with the tus protocol (tus-js-client): created by POST /uploads with its
 * metadata, sent by PATCH in chunks, retried and resumed from the server's offset when the
 * network fails, and resumed after a reload when the same file is picked again.
 */
export function uploadFile(file: File, parentId: FolderId, events: UploadEvents): UploadHandle {
  let stop: (terminate: boolean) => void = () => undefined;
  const done = new Promise<FileDoc>((resolve, reject) => {
    const tus = tusLibrary();
    if (tus === undefined || !tus.isSupported) {
      reject(new ApiError(0, 'The upload component did not load. Reload the page and try again.'));
      return;
    }
    const session = currentSession();
    if (session === undefined) {
      unauthorizedHandler();
      reject(new ApiError(401, 'Unauthorized'));
      return;
    }
    let stopped = false;
    let claimed: string | null = null;
    const release = (): void => {
      if (claimed !== null) urlsInUse.delete(claimed);
      claimed = null;
    };
    // The URL changes when a stored one turned out to be gone and the library created another.
    const claim = (url: string | null): void => {
      release();
      claimed = url;
      if (url !== null) urlsInUse.add(url);
    };
    const type = uploadType(file);
    const upload = new tus.Upload(file, {
      endpoint: UPLOADS_ENDPOINT,
      headers: { 'X-Token': session.token },
      metadata: { name: file.name, type, parentId: folderParam(parentId) },
      chunkSize: CHUNK_SIZE,
      retryDelays: RETRY_DELAYS_MS,
      // A finished upload is a file: picking the same file later means another copy, not a resume.
      removeFingerprintOnSuccess: true,
      // Bytes sent with the POST would be lost to a reload before its answer named the upload's URL.
      uploadDataDuringCreation: false,
      fingerprint: (chosen) => Promise.resolve(fingerprintOf(chosen, parentId)),
      onShouldRetry: (error) => {
        const retry = worthRetrying(error);
        if (retry && !stopped) events.retrying(error.originalResponse === null || error.originalResponse.getStatus() === 0);
        return retry;
      },
      onProgress: (loaded, total) => events.progress(loaded, total),
      onUploadUrlAvailable: () => claim(upload.url),
      onAfterResponse: (sent, response) => {
        // The library asks the server for its offset (HEAD) only when carrying on an upload it already has.
        if (sent.getMethod() !== 'HEAD' || response.getStatus() !== 200) return;
        const offset = Number.parseInt(response.getHeader('Upload-Offset') ?? '', 10);
        if (Number.isSafeInteger(offset) && !stopped) events.resuming(offset, file.size);
      },
      onSuccess: ({ lastResponse }) => {
        stopped = true;
        release();
        // Every byte is on the server by now: a network failure here is waited out like one during the upload.
        withRetries(() => completedFileId(lastResponse, upload.url))
          .then((id) => withRetries(() => requestJson('GET', `/files/${encodeURIComponent(id)}`)))
          .then((body) => resolve(asFileDoc(body)), reject);
      },
      onError: (error) => {
        stopped = true;
        release();
        const failure = uploadError(tus, error);
        reject(failure);
        if (isDeadEnd(failure)) {
          const url = upload.url;
          upload.abort(true).catch(() => forgetStoredUrl(tus, fingerprintOf(file, parentId), url));
        }
      },
    });
    stop = (terminate) => {
      if (stopped) return;
      stopped = true;
      release();
      reject(new ApiError(0, 'Upload cancelled'));
      // The row does not wait for the DELETE: if it fails, the server expires the upload anyway,
      // but its stored URL must go so that picking the file again starts afresh.
      const url = upload.url;
      upload.abort(terminate).catch(() => forgetStoredUrl(tus, fingerprintOf(file, parentId), url));
    };
    upload
      .findPreviousUploads()
      .catch((): TusPreviousUpload[] => [])
      .then((previous) => {
        if (stopped) return;
        const resumable = newest(previous.filter((entry) => entry.uploadUrl !== null && !urlsInUse.has(entry.uploadUrl)));
        if (resumable !== undefined) {
          upload.resumeFromPreviousUpload(resumable);
          claim(resumable.uploadUrl);
        }
        upload.start();
      })
      .catch((error: unknown) => reject(error instanceof Error ? uploadError(tus, error) : new ApiError(0, 'The upload could not start.')));
  });
  return { done, cancel: () => stop(true), pause: () => stop(false) };
}
