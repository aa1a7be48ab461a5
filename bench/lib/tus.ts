import { createReadStream } from 'node:fs';
import { Upload, type HttpRequest } from 'tus-js-client';

/** One request of an upload, from the client's side: sent to the end of its response. */
export interface RequestTiming {
  method: string;
  status: number;
  ms: number;
}

export interface TusResult {
  uploadUrl: string;
  /** Our server's id of the finished file (the `File-Id` header); tusd sends none. */
  fileId: string | undefined;
  seconds: number;
  requests: RequestTiming[];
}

export interface TusOptions {
  chunkSize: number;
  metadata: Record<string, string>;
  headers?: Record<string, string>;
}

/**
 * Uploads `file` with tus-js-client, the protocol's reference client, from an fs.ReadStream:
 * it then reads each chunk from the file as the request goes out, as the raw upload it is
 * compared with does, rather than holding the whole file in this process.
 */
export function tusUpload(endpoint: string, file: string, options: TusOptions): Promise<TusResult> {
  return new Promise((resolve, reject) => {
    const sentAt = new Map<HttpRequest, bigint>();
    const requests: RequestTiming[] = [];
    let started = 0n;
    const upload = new Upload(createReadStream(file), {
      endpoint,
      chunkSize: options.chunkSize,
      metadata: options.metadata,
      headers: options.headers ?? {},
      // A failed request must fail the run, not come back as a slower time.
      retryDelays: null,
      storeFingerprintForResuming: false,
      onBeforeRequest: (request) => {
        sentAt.set(request, process.hrtime.bigint());
      },
      onAfterResponse: (request, response) => {
        const sent = sentAt.get(request) ?? started;
        requests.push({ method: request.getMethod(), status: response.getStatus(), ms: Number(process.hrtime.bigint() - sent) / 1e6 });
      },
      onSuccess: ({ lastResponse }) => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        if (upload.url === null) {
          reject(new Error(`tus upload to ${endpoint} succeeded without an upload URL`));
          return;
        }
        resolve({ uploadUrl: upload.url, fileId: lastResponse.getHeader('File-Id'), seconds, requests });
      },
      onError: reject,
    });
    started = process.hrtime.bigint();
    upload.start();
  });
}

/** Removes an upload through the protocol's termination extension (tusd keeps finished uploads). */
export function terminateUpload(uploadUrl: string): Promise<void> {
  return Upload.terminate(uploadUrl, { retryDelays: null });
}
