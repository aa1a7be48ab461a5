import { MongoNetworkError, MongoNotConnectedError, MongoServerSelectionError, MongoTopologyClosedError } from 'mongodb';
import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  SocketClosedUnexpectedlyError,
} from 'redis';

/**
 * The one error type that reaches clients: its status and message are public,
 * and the error middleware renders it as `{"error": message}`.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers, e.g. Retry-After on 429. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string): HttpError => new HttpError(400, message);
export const unauthorized = (headers: Readonly<Record<string, string>> = {}): HttpError => new HttpError(401, 'Unauthorized', headers);
export const notFound = (): HttpError => new HttpError(404, 'Not found');
/** A path that exists, asked with a method it does not answer (RFC 9110 §15.5.6): Allow lists the ones it does. */
export const methodNotAllowed = (allowed: readonly string[]): HttpError => new HttpError(405, 'Method not allowed', { Allow: allowed.join(', ') });
export const payloadTooLarge = (): HttpError => new HttpError(413, 'Payload too large');
export const serviceUnavailable = (): HttpError => new HttpError(503, 'Service unavailable');
export const tooManyRequests = (retryAfterSeconds: number): HttpError =>
  new HttpError(429, 'Too many requests', { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
/** The client is gone and will never read it; an HttpError keeps it out of the server-error log. */
export const uploadAborted = (): HttpError => new HttpError(400, 'Upload aborted');
/** Another move or delete of the same user's folders holds the tree lock (utils/files/treeLock.ts). */
export const treeBusy = (): HttpError => new HttpError(409, 'Another change to these folders is in progress', { 'Retry-After': '1' });
/** A client too slow with its body; the connection closes after the answer. */
export const requestTimeout = (): HttpError => new HttpError(408, 'Request timeout', { Connection: 'close' });
export const preconditionFailed = (): HttpError => new HttpError(412, 'Precondition failed');
export const rangeNotSatisfiable = (size: number): HttpError =>
  new HttpError(416, 'Range not satisfiable', { 'Content-Range': `bytes */${size}` });

/** A backing service other than MongoDB and Redis (the object store) is unreachable or refuses us. */
export class ServiceOutageError extends Error {
  override name = 'ServiceOutageError';
}

const REDIS_OUTAGE_ERRORS = [
  ClientOfflineError,
  ClientClosedError,
  ConnectionTimeoutError,
  SocketClosedUnexpectedlyError,
  DisconnectsClientError,
];

/** True for the errors that mean "the database, Redis or the object store is unreachable right now". */
export function isServiceOutage(error: unknown): boolean {
  return (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof ServiceOutageError ||
    REDIS_OUTAGE_ERRORS.some((type) => error instanceof type)
  );
}
