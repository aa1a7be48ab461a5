import { HttpError, ServiceOutageError } from '../errors';
import { MissingObjectError } from './byteStore';

/**
 * What an S3 error means for the service: an outage (answer 503), a missing object, or a
 * server that lacks a feature. S3-compatible servers disagree on names and statuses, so the
 * tests go by what AWS, versitygw and the SDK itself are known to answer.
 */

/** Errors that came out of a write's `source`: a client that went away is no storage outage, whatever its error code. */
const sourceErrors = new WeakSet<object>();

/** Marks an error as the write's source's own, so that isStorageOutage does not blame the bucket. */
export function markSourceError(error: Error): void {
  sourceErrors.add(error);
}

const OUTAGE_ERROR_NAMES = new Set([
  // The credentials or the bucket are wrong or gone: every request will fail the same way.
  'InvalidAccessKeyId',
  // versitygw's answer to an unknown access key ID (a 404, where AWS says 403 InvalidAccessKeyId).
  'XAdminUserNotFound',
  'SignatureDoesNotMatch',
  'NoSuchBucket',
  'AccessDenied',
  'Forbidden',
  'AllAccessDisabled',
  'AccountProblem',
  'InvalidToken',
  'ExpiredToken',
  'RequestTimeTooSkewed',
  'AuthorizationHeaderMalformed',
  'PermanentRedirect',
  'CredentialsProviderError',
  // The SDK's own connect and request timeouts.
  'TimeoutError',
]);

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

interface ErrorFields {
  name?: unknown;
  code?: unknown;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const fieldsOf = (error: unknown): ErrorFields | undefined =>
  typeof error === 'object' && error !== null ? error : undefined;

const statusOf = (error: unknown): number | undefined => fieldsOf(error)?.$metadata?.httpStatusCode;

export const nameOf = (error: unknown): string | undefined => {
  const name = fieldsOf(error)?.name;
  return typeof name === 'string' ? name : undefined;
};

/**
 * True when the bucket is unreachable or refuses us (connection refused or timed out, 5xx, bad
 * credentials, missing bucket, access denied): the service should answer 503. False for a
 * missing object, our own 413, an error of the upload's source (the client went away), and
 * anything else, which is a bug or a bad request.
 */
export function isStorageOutage(error: unknown): boolean {
  for (let depth = 0, current = error; depth < 5 && current !== undefined; depth += 1) {
    const fields = fieldsOf(current);
    if (fields === undefined) return false;
    if (current instanceof ServiceOutageError) return true;
    if (current instanceof MissingObjectError || current instanceof HttpError || sourceErrors.has(fields)) return false;
    const name = nameOf(current);
    const status = statusOf(current);
    if (name !== undefined && OUTAGE_ERROR_NAMES.has(name)) return true;
    if (typeof fields.code === 'string' && (NETWORK_ERROR_CODES.has(fields.code) || OUTAGE_ERROR_NAMES.has(fields.code))) return true;
    if (status !== undefined && (status >= 500 || status === 401 || status === 403)) return true;
    current = fields.cause;
  }
  return false;
}

/**
 * By name, not by status: some servers answer other problems with 404 too (versitygw: an unknown
 * access key ID), and a missing bucket is a 404 as well. HEAD answers have no body, so the SDK
 * can only call them NotFound; see stat().
 */
export const isMissingObject = (error: unknown): boolean => nameOf(error) === 'NoSuchKey' || nameOf(error) === 'NotFound';

/** The bucket has no bulk delete (some S3-compatible servers), or rejects the checksum the SDK sends with it. */
export const bulkDeleteUnsupported = (error: unknown): boolean =>
  ['NotImplemented', 'MethodNotAllowed', 'MissingContentMD5'].includes(nameOf(error) ?? '') ||
  statusOf(error) === 501 ||
  statusOf(error) === 405;

/** One or more keys of a DeleteObjects batch failed; `name` is the first failure's S3 code, so isStorageOutage can judge it. */
export class DeleteFailedError extends Error {}

/** A sentence for the operator when the bucket fails its check at start-up; `where` names the bucket. */
export function describeSetupError(where: string, error: unknown): string {
  const name = nameOf(error) ?? 'Error';
  const code = fieldsOf(error)?.code;
  const detail = `${name}${typeof code === 'string' && code !== name ? ` ${code}` : ''}: ${(error as Error).message}`;
  switch (name) {
    case 'NoSuchBucket':
      return `S3 ${where} does not exist (${detail})`;
    case 'InvalidAccessKeyId':
    case 'XAdminUserNotFound':
      return `S3 ${where}: the access key ID is not known there; check the credentials (${detail})`;
    case 'SignatureDoesNotMatch':
      return `S3 ${where}: the secret access key is wrong for this access key ID (${detail})`;
    case 'AccessDenied':
    case 'Forbidden':
    case 'AllAccessDisabled':
      return `S3 ${where}: the credentials are not allowed to list it (${detail})`;
    case 'PermanentRedirect':
    case 'AuthorizationHeaderMalformed':
      return `S3 ${where}: the bucket is in another region (${detail})`;
    case 'CredentialsProviderError':
      return `S3 ${where}: no credentials were given and the SDK found none (${detail})`;
    case 'TimeoutError':
      return `S3 ${where}: the endpoint did not answer in time (${detail})`;
    default:
      if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return `S3 ${where}: the endpoint is unreachable (${detail})`;
      return `S3 ${where} is not usable (${detail})`;
  }
}
