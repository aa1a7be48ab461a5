import { MongoNetworkError, MongoNotConnectedError, MongoServerSelectionError, MongoTopologyClosedError } from 'mongodb';
import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  SocketClosedUnexpectedlyError,
} from 'redis';

/**
 * Every message a client can find in `{"error": …}`, defined once: thrown from here and the
 * modules that check requests, and listed by the OpenAPI document (routes/openapi.ts) so a
 * client can switch on them. Changing one changes the contract.
 */
export const MESSAGES = {
  badRequest: 'Bad request',
  invalidJson: 'Invalid JSON',
  expectedObject: 'Expected a JSON object',
  unauthorized: 'Unauthorized',
  notFound: 'Not found',
  methodNotAllowed: 'Method not allowed',
  requestTimeout: 'Request timeout',
  preconditionFailed: 'Precondition failed',
  payloadTooLarge: 'Payload too large',
  unsupportedMediaType: 'Unsupported media type',
  rangeNotSatisfiable: 'Range not satisfiable',
  headersTooLarge: 'Request header fields too large',
  tooManyRequests: 'Too many requests',
  internalError: 'Internal server error',
  serviceUnavailable: 'Service unavailable',
  missingEmail: 'Missing email',
  missingPassword: 'Missing password',
  alreadyExist: 'Already exist',
  missingName: 'Missing name',
  invalidName: 'Invalid name',
  missingType: 'Missing type',
  missingData: 'Missing data',
  invalidData: 'Invalid data',
  parentNotFound: 'Parent not found',
  parentNotFolder: 'Parent is not a folder',
  invalidIsPublic: 'Invalid isPublic',
  invalidMultipart: 'Invalid multipart body',
  oneFilePart: 'Only one file part allowed',
  uploadAborted: 'Upload aborted',
  folderIntoItself: 'Cannot move a folder into itself',
  treeBusy: 'Another change to these folders is in progress',
  invalidSize: 'Invalid size',
  folderHasNoContent: "A folder doesn't have content",
  unsupportedTusVersion: 'Unsupported Tus-Resumable version',
  missingUploadLength: 'Missing Upload-Length',
  invalidUploadLength: 'Invalid Upload-Length',
  invalidUploadOffset: 'Invalid Upload-Offset',
  invalidUploadMetadata: 'Invalid Upload-Metadata',
  invalidUploadChecksum: 'Invalid Upload-Checksum',
  unsupportedChecksum: 'Unsupported checksum algorithm',
  offsetMismatch: 'Upload-Offset does not match',
  checksumMismatch: 'Checksum mismatch',
  uploadBusy: 'Upload is busy',
  invalidSignature: 'Invalid signature',
  expired: 'Expired',
  passwordRequired: 'Password required',
  quotaExceeded: 'Quota exceeded',
} as const;

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

/** A string rather than a catalogue entry: zod's first issue and PATCH's field list are composed. */
export const badRequest = (message: string): HttpError => new HttpError(400, message);
export const unauthorized = (headers: Readonly<Record<string, string>> = {}): HttpError => new HttpError(401, MESSAGES.unauthorized, headers);
export const notFound = (): HttpError => new HttpError(404, MESSAGES.notFound);
/** Query parameters a listing refuses, each named: `Invalid parameters: sort, limit`. */
export const invalidParameters = (names: readonly string[]): HttpError => badRequest(`Invalid parameters: ${names.join(', ')}`);
/** A path that exists, asked with a method it does not answer (RFC 9110 §15.5.6): Allow lists the ones it does. */
export const methodNotAllowed = (allowed: readonly string[]): HttpError => new HttpError(405, MESSAGES.methodNotAllowed, { Allow: allowed.join(', ') });
export const payloadTooLarge = (): HttpError => new HttpError(413, MESSAGES.payloadTooLarge);
export const serviceUnavailable = (): HttpError => new HttpError(503, MESSAGES.serviceUnavailable);
export const tooManyRequests = (retryAfterSeconds: number): HttpError =>
  new HttpError(429, MESSAGES.tooManyRequests, { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
/** The client is gone and will never read it; an HttpError keeps it out of the server-error log. */
export const uploadAborted = (): HttpError => new HttpError(400, MESSAGES.uploadAborted);
/** Another move or delete of the same user's folders holds the tree lock (utils/files/treeLock.ts). */
export const treeBusy = (): HttpError => new HttpError(409, MESSAGES.treeBusy, { 'Retry-After': '1' });
/** A client too slow with its body; the connection closes after the answer. */
export const requestTimeout = (): HttpError => new HttpError(408, MESSAGES.requestTimeout, { Connection: 'close' });
export const preconditionFailed = (): HttpError => new HttpError(412, MESSAGES.preconditionFailed);
/** Another request is appending to the same resumable upload (tus clients retry 423). */
export const uploadBusy = (): HttpError => new HttpError(423, MESSAGES.uploadBusy, { 'Retry-After': '1' });
/** A signed URL changed in any way, or not signed by this deployment's key. */
export const invalidSignature = (): HttpError => new HttpError(403, MESSAGES.invalidSignature);
export const signatureExpired = (): HttpError => new HttpError(403, MESSAGES.expired);
/** A shared link's password, missing or wrong. */
export const passwordRequired = (): HttpError => new HttpError(401, MESSAGES.passwordRequired);
/** The upload would take the owner past their quota (RFC 4918's Insufficient Storage). */
export const quotaExceeded = (): HttpError => new HttpError(507, MESSAGES.quotaExceeded);
export const unsupportedMediaType = (): HttpError => new HttpError(415, MESSAGES.unsupportedMediaType);
export const rangeNotSatisfiable = (size: number): HttpError =>
  new HttpError(416, MESSAGES.rangeNotSatisfiable, { 'Content-Range': `bytes */${size}` });

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
