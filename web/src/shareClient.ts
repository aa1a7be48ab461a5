/**
 * The shared-link page's client of the API: everything under /s/<token>, for a visitor with no
 * account. There is no token and no session storage here: a link with a password is opened once
 * with POST /s/<token>/session, and the HttpOnly cookie the server sets for that path (an hour)
 * goes with every later request by itself (fetch with credentials 'same-origin', an <img>, an
 * <a download>, tus-js-client's requests). The password is sent in that one request's body only.
 */
import type { components, operations } from './generated/openapi.js';
import { ApiError, errorMessage, isRecord, parseJson, send, UNEXPECTED } from './http.js';

export type SharedFile = components['schemas']['File'];
export type LinkInfo = operations['describeLink']['responses'][200]['content']['application/json'];
export type SharedFileDetails = LinkInfo['file'];

/** The API's page size for a folder's children: a shorter page is the last one. */
export const SHARED_PAGE_SIZE = 20;

/** The thumbnail widths the API makes. */
export type ThumbnailWidth = 500 | 250 | 100;

/** A link's token as the server makes them: 32 URL-safe characters. */
const TOKEN_PATTERN = /^\/s\/([A-Za-z0-9_-]{32})\/?$/;

/** The token of the page's own URL, `/s/<token>`; undefined when the path is no link's. */
export function tokenFromPath(pathname: string): string | undefined {
  return TOKEN_PATTERN.exec(pathname)?.[1];
}

function durationText(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return minutes < 90 ? `${minutes} minutes` : `${Math.ceil(minutes / 60)} hours`;
}

/** The API's error; for a 429, with how long to wait (Retry-After). */
async function failure(response: Response): Promise<ApiError> {
  const message = errorMessage(response.status, parseJson(await response.text()));
  if (response.status === 429) {
    const seconds = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
    const wait = Number.isSafeInteger(seconds) && seconds > 0 ? durationText(seconds) : 'a while';
    return new ApiError(429, `${message}: wait ${wait} and try again.`);
  }
  return new ApiError(response.status, message);
}

export class LinkClient {
  /** `/s/<token>`: every URL of the link starts with it, the path the session cookie is scoped to. */
  readonly base: string;

  constructor(readonly token: string) {
    this.base = `/s/${token}`;
  }

  private async request(method: string, path: string, init: { json?: unknown; signal?: AbortSignal } = {}): Promise<Response> {
    const headers = new Headers({ Accept: 'application/json' });
    const response = await send(this.base + path, { method, headers, json: init.json, signal: init.signal, credentials: 'same-origin', cache: 'no-store' });
    if (!response.ok) throw await failure(response);
    return response;
  }

  private async json(path: string, signal?: AbortSignal): Promise<unknown> {
    const response = await this.request('GET', path, { signal });
    return parseJson(await response.text());
  }

  /** What the link names: 401 when it has a password this browser has not given, 404 when it ended. */
  async info(signal?: AbortSignal): Promise<LinkInfo> {
    const body = await this.json('/info', signal);
    if (!isRecord(body) || !isSharedFile(body.file) || typeof body.allowUpload !== 'boolean') throw new ApiError(0, UNEXPECTED);
    return body as LinkInfo;
  }

  /** Trades the password for the link's HttpOnly session cookie; 401 when it is wrong. */
  async openSession(password: string): Promise<void> {
    await this.request('POST', '/session', { json: { password } });
  }

  /** A page of the children of the linked folder, or of `folderId` under it. */
  async list(folderId: string | undefined, page: number, signal?: AbortSignal): Promise<SharedFile[]> {
    const query = new URLSearchParams({ page: String(page) });
    if (folderId !== undefined) query.set('parentId', folderId);
    const body = await this.json(`?${query.toString()}`, signal);
    if (!Array.isArray(body) || !body.every(isSharedFile)) throw new ApiError(0, UNEXPECTED);
    return body;
  }

  /** One file or folder under the linked folder (404 for anything outside it). */
  async item(id: string, signal?: AbortSignal): Promise<SharedFile> {
    const body = await this.json(`/files/${encodeURIComponent(id)}`, signal);
    if (!isSharedFile(body)) throw new ApiError(0, UNEXPECTED);
    return body;
  }

  /**
   * The URL of a file's content, or of one of its thumbnails, for an <img> or an <a download>:
   * the cookie goes with it. `/s/<token>` itself would be answered with this page, as a browser
   * asks for HTML there.
   */
  dataUrl(id: string, size?: ThumbnailWidth): string {
    const url = `${this.base}/files/${encodeURIComponent(id)}/data`;
    return size === undefined ? url : `${url}?size=${size}`;
  }

  /** Whether the worker has made this thumbnail yet (HEAD: it counts as no download). */
  async thumbnailExists(id: string, size: ThumbnailWidth, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.request('HEAD', `/files/${encodeURIComponent(id)}/data?size=${size}`, { signal });
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return false;
      throw error;
    }
  }
}

function isSharedFile(value: unknown): value is SharedFile {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.name === 'string' &&
    (value.type === 'folder' || value.type === 'file' || value.type === 'image') &&
    (value.parentId === 0 || typeof value.parentId === 'string')
  );
}
