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
export const unauthorized = (): HttpError => new HttpError(401, 'Unauthorized');
export const notFound = (): HttpError => new HttpError(404, 'Not found');
export const serviceUnavailable = (): HttpError => new HttpError(503, 'Service unavailable');

const REDIS_OUTAGE_ERRORS = [
  ClientOfflineError,
  ClientClosedError,
  ConnectionTimeoutError,
  SocketClosedUnexpectedlyError,
  DisconnectsClientError,
];

/** True for the driver errors that mean "the database or Redis is unreachable right now". */
export function isServiceOutage(error: unknown): boolean {
  return (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoTopologyClosedError ||
    REDIS_OUTAGE_ERRORS.some((type) => error instanceof type)
  );
}
