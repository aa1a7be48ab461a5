import http from 'node:http';
import https from 'node:https';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { S3Settings } from '../config';

/** The SDK client of one bucket, with the timeouts and socket limits an upload service needs. */

/** An unreachable endpoint should become a 503 within a couple of seconds, not a hung request. */
const CONNECT_TIMEOUT_MS = 1_500;
/** Calls without a large body: time until the response headers arrive. */
export const CALL_TIMEOUT_MS = 5_000;
/**
 * Upload calls that lib-storage sends (it passes no per-call options): a 5 MiB part must go out
 * and be answered within this, i.e. the link must carry at least ~175 KB/s.
 */
const UPLOAD_CALL_TIMEOUT_MS = 30_000;
const MAX_ATTEMPTS = 2;
const MAX_SOCKETS = 256;

/**
 * The SDK warns once per process on Node 20 (NodeVersionSupportWarning: releases after January
 * 2027 need Node 22). Node 20 is our supported floor and the version is pinned, so the warning is
 * noise in every log. AWS documents this variable as the way to turn it off (aws-sdk-js-v3 issue
 * #7983); it is read when a client is constructed (emitWarningIfUnsupportedVersion in
 * @aws-sdk/core), so it must be set before the first `new S3Client`. An operator who set it
 * explicitly keeps their value. (AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE is SDK v2's, and does nothing here.)
 */
export function quietSdkNodeVersionWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

export function createS3Client(settings: S3Settings): S3Client {
  if (settings.bucket === '') throw new Error('S3 store: the bucket name is empty');
  if ((settings.accessKeyId === undefined) !== (settings.secretAccessKey === undefined)) {
    throw new Error('S3 store: give both the access key ID and the secret access key, or neither');
  }
  quietSdkNodeVersionWarning();
  const config: S3ClientConfig = {
    region: settings.region,
    maxAttempts: MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: {
      // The SDK's agent allows 50 sockets; past them requests queue, and the wait counts against
      // connectionTimeout, so a burst (a big folder's delete, the backfill) would read as an outage.
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
      httpsAgent: new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
      connectionTimeout: CONNECT_TIMEOUT_MS,
      requestTimeout: UPLOAD_CALL_TIMEOUT_MS,
      // Without this the handler only logs a warning when requestTimeout passes, and waits on.
      throwOnRequestTimeout: true,
    },
    // Our settings are the whole configuration: the SDK would otherwise also take an endpoint
    // from AWS_ENDPOINT_URL_S3 or ~/.aws/config.
    ignoreConfiguredEndpointUrls: true,
    // Since 3.729 the SDK adds CRC32 checksums to every upload by default, which several
    // S3-compatible servers reject; our own SHA-256 is the integrity record.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  if (settings.endpoint !== undefined) {
    config.endpoint = settings.endpoint;
    config.forcePathStyle = true;
  }
  if (settings.accessKeyId !== undefined && settings.secretAccessKey !== undefined) {
    config.credentials = { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey };
  }
  return new S3Client(config);
}
