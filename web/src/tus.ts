/**
 * The parts of tus-js-client (4.3) this app uses. Its browser bundle is served by routes/web.ts
 * as /assets/tus.min.js and loaded by index.html as a classic script before the app's modules:
 * without a bundler, a global is the only way to reach a UMD build from an ES module. Only what
 * the app calls is declared, so a change in the library shows up here and nowhere else.
 */

export interface TusHttpRequest {
  getMethod(): string;
  getURL(): string;
  setHeader(name: string, value: string): void;
  getHeader(name: string): string | undefined;
}

export interface TusHttpResponse {
  getStatus(): number;
  /** The browser stack returns XMLHttpRequest's null for a missing header, not undefined. */
  getHeader(name: string): string | null | undefined;
  getBody(): string;
}

/** What the library rejects with when a request failed or was answered with an error. */
export interface TusDetailedError extends Error {
  originalRequest: TusHttpRequest | null;
  /** null when no answer came at all: the network, not the server. */
  originalResponse: TusHttpResponse | null;
  causingError: Error | null;
}

/** An entry of the URL storage: where an earlier upload of the same fingerprint lives. */
export interface TusPreviousUpload {
  size: number | null;
  metadata: Record<string, string>;
  creationTime: string;
  urlStorageKey: string;
  uploadUrl: string | null;
}

export interface TusUrlStorage {
  findUploadsByFingerprint(fingerprint: string): Promise<TusPreviousUpload[]>;
  removeUpload(urlStorageKey: string): Promise<void>;
}

export interface TusUploadOptions {
  endpoint: string;
  headers: Record<string, string>;
  metadata: Record<string, string>;
  chunkSize: number;
  retryDelays: number[];
  removeFingerprintOnSuccess: boolean;
  /** false: the upload's URL is never written to the URL storage (localStorage), so it cannot be resumed after a reload. */
  storeFingerprintForResuming?: boolean;
  uploadDataDuringCreation: boolean;
  fingerprint: (file: File) => Promise<string>;
  onShouldRetry: (error: TusDetailedError, retryAttempt: number) => boolean;
  onProgress: (bytesSent: number, bytesTotal: number) => void;
  onUploadUrlAvailable: () => void;
  onAfterResponse: (request: TusHttpRequest, response: TusHttpResponse) => void;
  onSuccess: (payload: { lastResponse: TusHttpResponse }) => void;
  onError: (error: Error) => void;
}

export interface TusUpload {
  /** Known once the server created the upload (or a previous one was resumed). */
  readonly url: string | null;
  start(): void;
  /** With true, also DELETEs the upload on the server and forgets its stored URL. */
  abort(shouldTerminate?: boolean): Promise<void>;
  findPreviousUploads(): Promise<TusPreviousUpload[]>;
  resumeFromPreviousUpload(previous: TusPreviousUpload): void;
}

export interface TusLibrary {
  readonly isSupported: boolean;
  readonly defaultOptions: { readonly urlStorage: TusUrlStorage };
  readonly Upload: new (file: File, options: TusUploadOptions) => TusUpload;
  readonly DetailedError: new (message: string) => TusDetailedError;
}

declare global {
  interface Window {
    /** Undefined when /assets/tus.min.js did not load. */
    readonly tus?: TusLibrary;
  }
}

export function tusLibrary(): TusLibrary | undefined {
  return window.tus;
}
