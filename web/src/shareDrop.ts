/**
 * A drop folder: files picked or dropped here go into the owner's folder, each with its progress,
 * through the resumable upload protocol at the link's own URL (tus-js-client: a POST /s/<token>
 * creates the upload, PATCH requests under /s/<token>/uploads/ send it, the session cookie goes
 * with each). The page lists only what was sent in this visit: the folder shows nothing.
 * Unlike the app, nothing is kept for resuming after a reload: the upload URLs hold the link's
 * token, which is not written to this browser's storage.
 */
import { showError } from './alerts.js';
import { acceptDroppedFiles } from './dropZone.js';
import { endRow, type UploadRow, uploadRow } from './uploadRow.js';
import { h, icon } from './dom.js';
import { ApiError, errorMessage, parseJson, UNEXPECTED, UnreachableError } from './http.js';
import { formatDate, formatSize, uploadType } from './media.js';
import type { LinkClient, LinkInfo } from './shareClient.js';
import { tusLibrary, type TusDetailedError, type TusLibrary } from './tus.js';

const PARALLEL_UPLOADS = 3;
/** As the app's: under the 100 MB body cap of many proxies. */
const CHUNK_SIZE = 50 * 1024 * 1024;
/** As the app's: about two and a half minutes of waiting out a network that dropped. */
const RETRY_DELAYS_MS = [0, 1_000, 3_000, 5_000, 10_000, 15_000, 20_000, 30_000, 30_000, 30_000];

export interface DropHooks {
  /** A failure of the link itself (ended, password needed again): share.ts decides what to show. */
  fail(error: unknown): void;
}

interface Job extends UploadRow {
  file: File;
  cancelled: boolean;
  /** Once started: stops the upload, deletes what the server holds of it, and rejects its promise. */
  stop?: () => void;
}

/** 507: the upload would take the folder's owner past their quota; waiting does not change that. */
const QUOTA_EXCEEDED = 507;
const QUOTA_MESSAGE = 'not enough space left in this folder; its owner has to make room first.';

function worthRetrying(error: TusDetailedError): boolean {
  const status = error.originalResponse?.getStatus() ?? 0;
  return status === 0 || (status >= 500 && status !== QUOTA_EXCEEDED) || status === 409 || status === 423;
}

function uploadError(tus: TusLibrary, error: Error): ApiError {
  if (!(error instanceof tus.DetailedError)) return new ApiError(0, error.message);
  const status = error.originalResponse?.getStatus() ?? 0;
  if (error.originalResponse === null || status === 0) return new UnreachableError();
  if (status < 400) return new ApiError(0, UNEXPECTED);
  return new ApiError(status, errorMessage(status, parseJson(error.originalResponse.getBody())));
}

/** Sends one file; resolves when the server holds all of it. */
function send(client: LinkClient, job: Job, tus: TusLibrary): Promise<void> {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(job.file, {
      endpoint: client.base,
      headers: {},
      metadata: { name: job.file.name, type: uploadType(job.file) },
      chunkSize: CHUNK_SIZE,
      retryDelays: RETRY_DELAYS_MS,
      removeFingerprintOnSuccess: true,
      storeFingerprintForResuming: false,
      uploadDataDuringCreation: false,
      fingerprint: () => Promise.resolve(''),
      onShouldRetry: (error) => {
        const retry = worthRetrying(error) && !job.cancelled;
        if (retry) job.status.textContent = error.originalResponse === null ? 'Connection lost, retrying…' : 'Retrying…';
        return retry;
      },
      onProgress: (sent, total) => {
        job.progress.max = Math.max(total, 1);
        job.progress.value = sent;
        job.status.textContent = total > 0 ? `${Math.floor((sent / total) * 100)}%` : 'Sending…';
      },
      onUploadUrlAvailable: () => undefined,
      onAfterResponse: () => undefined,
      onSuccess: () => resolve(),
      onError: (error) => {
        const failure = uploadError(tus, error);
        reject(failure);
        // What the server holds of a refused upload is of no use: delete it (it also expires by itself).
        if ((failure.status >= 400 && failure.status < 500) || failure.status === QUOTA_EXCEEDED) upload.abort(true).catch(() => undefined);
      },
    });
    job.stop = () => {
      reject(new ApiError(0, 'Upload cancelled'));
      upload.abort(true).catch(() => undefined);
    };
    upload.start();
  });
}

export function renderDrop(client: LinkClient, info: LinkInfo, lifetime: AbortSignal, hooks: DropHooks): HTMLElement {
  const folder = info.file;
  const input = h('input', { attrs: { id: 'drop-input', type: 'file', multiple: true, hidden: true } });
  const choose = h('button', { class: 'button primary', attrs: { type: 'button' } }, [icon('upload', 'button-icon'), 'Choose files']);
  const zone = h('div', { class: 'drop-zone' }, [
    icon('upload', 'drop-icon'),
    h('p', { text: 'Drop files here, or' }),
    choose,
    input,
  ]);
  const sentList = h('ul', { class: 'upload-list', attrs: { role: 'list', 'aria-label': 'Sent files' } });
  const sent = h('section', { class: 'uploads card', attrs: { 'aria-labelledby': 'sent-title', hidden: true } }, [
    h('div', { class: 'uploads-head' }, [h('h2', { text: 'Sent in this visit', attrs: { id: 'sent-title' } })]),
    sentList,
  ]);
  const ends = formatDate(info.expiresAt);
  const queue: Job[] = [];
  const active = new Set<Job>();

  const pump = (): void => {
    const tus = tusLibrary();
    while (active.size < PARALLEL_UPLOADS && !lifetime.aborted) {
      const job = queue.shift();
      if (job === undefined) return;
      if (job.cancelled) continue;
      if (tus === undefined || !tus.isSupported) {
        endRow(job, 'failed', 'Not sent');
        showError('The upload component did not load. Reload the page and try again.');
        continue;
      }
      active.add(job);
      job.status.textContent = 'Sending…';
      send(client, job, tus)
        .then(
          () => {
            job.progress.value = job.progress.max;
            endRow(job, 'done', 'Sent');
          },
          (error: unknown) => {
            if (job.cancelled) {
              endRow(job, 'failed', 'Cancelled');
              return;
            }
            const quota = error instanceof ApiError && error.status === QUOTA_EXCEEDED;
            const message = quota ? QUOTA_MESSAGE : error instanceof Error ? error.message : 'unknown error';
            endRow(job, 'failed', `Not sent: ${message}`);
            // The link ended, or its session did: the page says so instead of the row alone.
            if (error instanceof ApiError && (error.status === 401 || error.status === 404)) hooks.fail(error);
            else if (error instanceof ApiError && error.status === 413) showError(`${job.file.name} (${formatSize(job.file.size)}) is larger than the server accepts: ${message}`);
            else showError(`Could not send ${job.file.name}: ${message}`);
          },
        )
        .finally(() => {
          active.delete(job);
          pump();
        });
    }
  };

  const enqueue = (files: readonly File[]): void => {
    if (files.length === 0) return;
    sent.hidden = false;
    for (const file of files) {
      const job: Job = { ...uploadRow(file, formatSize(file.size)), file, cancelled: false };
      job.cancel.addEventListener('click', () => {
        job.cancelled = true;
        // A started upload's rejection marks the row; one still waiting is marked here.
        if (job.stop === undefined) endRow(job, 'failed', 'Cancelled');
        else job.stop();
      });
      sentList.append(job.entry);
      queue.push(job);
    }
    pump();
  };

  choose.addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    enqueue([...(input.files ?? [])]);
    // Choosing the same file again must fire "change" again.
    input.value = '';
  });

  acceptDroppedFiles(zone, enqueue);

  // Leaving this view (the link ended, its session did) stops what is still going.
  lifetime.addEventListener(
    'abort',
    () => {
      for (const job of [...queue.splice(0), ...active]) {
        job.cancelled = true;
        job.stop?.();
      }
    },
    { once: true },
  );

  return h('section', { class: 'card shared-drop', attrs: { 'aria-labelledby': 'shared-title' } }, [
    h('h1', { text: `Send files to ${folder.name}`, attrs: { id: 'shared-title', tabindex: -1 } }),
    h('p', {
      class: 'muted',
      text: 'What you send goes into this folder of its owner. You cannot see what is in it, and nobody else with this link can see what you send.',
    }),
    ends === undefined ? null : h('p', { class: 'muted small-text', text: `This link ends ${ends}.` }),
    zone,
    sent,
  ]);
}
