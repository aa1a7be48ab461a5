/**
 * What every client of the API in the browser shares, the app's (api.ts) and the shared-link
 * page's (shareClient.ts): its error type and how an answer's body is read. Nothing here knows
 * of a login session.
 */

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const UNREACHABLE = 'The server could not be reached. Check that it is running and try again.';
export const UNEXPECTED = 'The server sent an unexpected answer.';

/** No answer at all, as opposed to an answer the app could not use: only this is worth waiting out. */
export class UnreachableError extends ApiError {
  override name = 'UnreachableError';
  constructor() {
    super(0, UNREACHABLE);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The API's own message (`{"error": …}`), else one naming the status. */
export function errorMessage(status: number, body: unknown): string {
  if (isRecord(body) && typeof body.error === 'string' && body.error !== '') return body.error;
  return `The request failed (HTTP ${status}).`;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export interface Send {
  method: string;
  headers: Headers;
  json?: unknown;
  signal?: AbortSignal;
  /** The app sends its token itself and no cookie; the link page relies on its link's cookie. */
  credentials: RequestCredentials;
  cache?: RequestCache;
}

/** One request to this origin, with a JSON body if given. No answer at all is UnreachableError; an abort stays one. */
export async function send(path: string, { method, headers, json, signal, credentials, cache }: Send): Promise<Response> {
  let body: string | undefined;
  if (json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(json);
  }
  try {
    return await fetch(path, { method, headers, body, signal, credentials, cache, redirect: 'error' });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new UnreachableError();
  }
}
