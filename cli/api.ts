/**
 * The one way the CLI talks to the service: openapi-fetch, typed by the paths of the service's
 * own OpenAPI document (web/src/generated/openapi.ts, `npm run types`), so a request or an answer
 * the document does not have is a compile error. Resumable uploads go through tus-js-client,
 * which speaks that protocol, with the same token and the same error messages (errorFor).
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from '../web/src/generated/openapi';
import { ApiError, CliError, UnreachableError } from './errors';
import type { Session } from './config';

export type FileItem = components['schemas']['DetailedFile'];
export type PlainFile = components['schemas']['File'];
export type Link = components['schemas']['Link'];
export type TrashedItem = components['schemas']['TrashedFile'];

/** What every openapi-fetch call resolves to, whatever the operation. */
interface Outcome<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The errors Node's fetch (undici) reports as the `cause` of "fetch failed", in words. */
const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be looked up',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'no route to the host',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_SOCKET: 'the connection was closed',
};

function causeCode(error: unknown): string | undefined {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

export class Api {
  readonly client: Client<paths>;

  constructor(
    readonly baseUrl: string,
    readonly session?: Session,
  ) {
    this.client = createClient<paths>({ baseUrl, headers: session === undefined ? {} : { 'X-Token': session.token } });
  }

  /** The message for a server that gave no answer at all. */
  unreachable(reason?: string): UnreachableError {
    const why = reason === undefined ? '' : ` (${reason})`;
    return new UnreachableError(`Cannot reach the server at ${this.baseUrl}${why}. Is it running? Another server: --url or FM_URL.`);
  }

  /** The error for an answer `status` with the service's `message`; 401 says how to log in again. */
  errorFor(status: number, message: string): ApiError {
    if (status === 401 && this.session !== undefined) {
      const { email } = this.session;
      return new ApiError(status, message, `${message}: the session of ${email} on ${this.baseUrl} has expired or was ended. Log in again: files-manager login ${email}`);
    }
    return new ApiError(status, message);
  }

  /** The answer's data when it is a success; a CliError with the service's message otherwise. */
  async call<T>(pending: Promise<Outcome<T>>): Promise<T> {
    return (await this.answer(pending)).data as T;
  }

  /** For operations whose success has no body (204): only whether it succeeded. */
  async send(pending: Promise<Outcome<unknown>>): Promise<void> {
    await this.answer(pending);
  }

  /** The whole answer when it is a success, for its headers and status as well as its data. */
  async answer<T>(pending: Promise<Outcome<T>>): Promise<Outcome<T>> {
    let outcome: Outcome<T>;
    try {
      outcome = await pending;
    } catch (error) {
      if (error instanceof TypeError) {
        const code = causeCode(error);
        throw this.unreachable(code === undefined ? error.message : (NETWORK_ERRORS[code] ?? code));
      }
      throw error;
    }
    const { response, error } = outcome;
    if (response.ok) return outcome;
    throw this.errorFor(response.status, serviceMessage(error, response));
  }
}

/** `{"error": message}` as every error of the service is, else what HTTP calls the status. */
export function serviceMessage(body: unknown, response: Pick<Response, 'status' | 'statusText'>): string {
  if (typeof body === 'object' && body !== null && 'error' in body && typeof body.error === 'string') return body.error;
  return response.statusText || `HTTP ${response.status}`;
}

/** `fields=all` answers carry size, sha256 and createdAt: every listing and lookup here asks for them. */
export function detailed(item: PlainFile | FileItem): FileItem {
  if (!('sha256' in item)) throw new CliError(`The server answered without the details asked for (fields=all) for ${item.id}`);
  return item;
}
