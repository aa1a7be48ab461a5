/**
 * Uploads from the file picker or a drop, a few at a time, each with its own progress bar.
 * Each goes through the resumable upload protocol (api.ts): a network drop is waited out, and
 * after a reload the same file picked into the same folder carries on where it stopped. The
 * panel closes by itself once every upload has ended well; a failure keeps it open, to be read,
 * retried or cleared.
 */
import { describeError, showError, showStatus } from './alerts.js';
import { acceptDroppedFiles } from './dropZone.js';
import { endRow, type UploadRow, uploadRow } from './uploadRow.js';
import { ApiError, currentUsage, QUOTA_EXCEEDED, uploadFile, type FileDoc } from './api.js';
import type { Crumb } from './breadcrumbs.js';
import { byId, h } from './dom.js';
import { formatSize } from './media.js';
import { quotaAdvice, refreshUsage } from './usage.js';

const PARALLEL_UPLOADS = 3;

/** How long the panel stays once everything has ended well: time to see it done, not to have to close it. */
const CLOSE_AFTER_MS = 4000;

interface Job extends UploadRow {
  file: File;
  folder: Crumb;
  cancelled: boolean;
  /** Set once it was found that the server already held part of the file. */
  resumed: boolean;
  cancelUpload?: () => void;
  pause?: () => void;
}

export interface UploadHooks {
  /** The folder new uploads go to: the one shown when they were chosen. */
  target(): Crumb;
  uploaded(file: FileDoc, folder: Crumb): void;
}

const queue: Job[] = [];
const active = new Set<Job>();
let closeTimer: number | undefined;

const ENDED = 'li.done, li.failed, li.cancelled';

/** The row's last word and the alert's message. */
async function failure(job: Job, error: unknown): Promise<{ row: string; alert: string }> {
  if (error instanceof ApiError && error.status === QUOTA_EXCEEDED) {
    // The figures of now, which other uploads and tabs change, rather than the bar's last ones.
    const row = quotaAdvice(await currentUsage().catch(() => undefined));
    return { row, alert: `Could not upload ${job.file.name} (${formatSize(job.file.size)}). ${row}` };
  }
  if (error instanceof ApiError && error.status === 413) {
    const message = `${job.file.name} (${formatSize(job.file.size)}) is larger than the server accepts: ${error.message}`;
    return { row: message, alert: message };
  }
  // The row already shows the name.
  const reason = describeError(error);
  return { row: reason, alert: `Could not upload ${job.file.name}: ${reason}` };
}

function finish(job: Job, state: 'done' | 'failed' | 'cancelled', text: string): void {
  const hadFocus = document.activeElement === job.cancel;
  endRow(job, state, text);
  updateClearButton();
  // Cancel goes with the upload: the focus moves to what is left to do (Retry), else back to Upload, not to the page's top.
  if (hadFocus) (job.entry.querySelector('button') ?? byId('upload', HTMLButtonElement)).focus();
}

function updateClearButton(): void {
  const list = byId('upload-list', HTMLUListElement);
  byId('clear-uploads', HTMLButtonElement).hidden = list.querySelector(ENDED) === null;
}

function closePanel(): void {
  const panel = byId('uploads', HTMLElement);
  // Not from under a keyboard user's focus: the next look is a while later.
  if (panel.matches(':focus-within')) {
    closeTimer = window.setTimeout(closePanel, CLOSE_AFTER_MS);
    return;
  }
  byId('upload-list', HTMLUListElement).replaceChildren();
  panel.hidden = true;
  updateClearButton();
}

/**
 * Once nothing is left to send and nothing failed, says so (the rows are about to go, and a
 * screen reader would not hear them end) and closes the panel a little later.
 */
function closeWhenAllDone(): void {
  window.clearTimeout(closeTimer);
  const list = byId('upload-list', HTMLUListElement);
  if (queue.length > 0 || active.size > 0 || list.querySelector('li.failed') !== null) return;
  const done = list.querySelectorAll('li.done').length;
  if (done > 0) showStatus(done === 1 ? 'Upload finished' : `${done} uploads finished`);
  closeTimer = window.setTimeout(closePanel, CLOSE_AFTER_MS);
}

/** A failed row's way out besides "Clear finished": the same file, into the same folder, as a new row. */
function offerRetry(job: Job, hooks: UploadHooks): void {
  const retry = h('button', { class: 'button small', text: 'Retry', attrs: { type: 'button', 'aria-label': `Retry upload of ${job.file.name}` } });
  retry.addEventListener('click', () => {
    job.entry.remove();
    const [again] = enqueue([job.file], job.folder, hooks);
    // The button is gone with its row: the focus goes where this upload can be acted on now.
    again?.cancel.focus();
  });
  job.entry.append(retry);
}

function showProgress(job: Job, loaded: number, total: number): void {
  job.progress.max = Math.max(total, 1);
  job.progress.value = loaded;
  const percent = total > 0 ? `${Math.floor((loaded / total) * 100)}%` : '';
  if (job.resumed) job.status.textContent = percent === '' ? 'Resuming…' : `Resuming… ${percent}`;
  else job.status.textContent = percent === '' ? 'Uploading…' : percent;
}

function pump(hooks: UploadHooks): void {
  while (active.size < PARALLEL_UPLOADS) {
    const job = queue.shift();
    if (job === undefined) return;
    if (job.cancelled) continue;
    active.add(job);
    job.status.textContent = 'Uploading…';
    const handle = uploadFile(job.file, job.folder.id, {
      progress: (loaded, total) => showProgress(job, loaded, total),
      resuming: (offset, total) => {
        job.resumed = true;
        showProgress(job, offset, total);
      },
      retrying: (noAnswer) => {
        job.status.textContent = noAnswer ? 'Connection lost, retrying…' : 'Retrying…';
      },
    });
    job.cancelUpload = handle.cancel;
    job.pause = handle.pause;
    handle.done
      .then(
        (created) => {
          job.progress.value = job.progress.max;
          finish(job, 'done', 'Uploaded');
          hooks.uploaded(created, job.folder);
        },
        async (error: unknown) => {
          if (job.cancelled) {
            finish(job, 'cancelled', 'Cancelled');
            return;
          }
          const { row, alert } = await failure(job, error);
          offerRetry(job, hooks);
          finish(job, 'failed', row);
          showError(alert);
        },
      )
      .finally(() => {
        active.delete(job);
        // Done, refused or cancelled, the upload no longer holds what it reserved of the quota.
        refreshUsage();
        pump(hooks);
        closeWhenAllDone();
      });
  }
}

function enqueue(files: readonly File[], folder: Crumb, hooks: UploadHooks): Job[] {
  if (files.length === 0) return [];
  window.clearTimeout(closeTimer);
  const panel = byId('uploads', HTMLElement);
  const list = byId('upload-list', HTMLUListElement);
  panel.hidden = false;
  const jobs = files.map((file): Job => ({ ...uploadRow(file, `${formatSize(file.size)} → ${folder.name}`), file, folder, cancelled: false, resumed: false }));
  for (const job of jobs) {
    job.cancel.addEventListener('click', () => {
      job.cancelled = true;
      if (job.cancelUpload === undefined) finish(job, 'cancelled', 'Cancelled');
      else job.cancelUpload();
    });
    list.append(job.entry);
    queue.push(job);
  }
  pump(hooks);
  return jobs;
}

export function setupUploads(hooks: UploadHooks): void {
  const input = byId('file-input', HTMLInputElement);
  const zone = byId('files-view', HTMLElement);
  byId('upload', HTMLButtonElement).addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    enqueue([...(input.files ?? [])], hooks.target(), hooks);
    // Choosing the same file again must fire "change" again.
    input.value = '';
  });
  const clear = byId('clear-uploads', HTMLButtonElement);
  clear.addEventListener('click', () => {
    for (const entry of byId('upload-list', HTMLUListElement).querySelectorAll(ENDED)) entry.remove();
    updateClearButton();
    if (byId('upload-list', HTMLUListElement).childElementCount === 0) byId('uploads', HTMLElement).hidden = true;
    // The button hid itself: the focus goes back to where uploads start rather than to the page's top.
    if (clear.hidden) byId('upload', HTMLButtonElement).focus();
  });

  acceptDroppedFiles(zone, (files) => enqueue(files, hooks.target(), hooks));
}

/**
 * Drops pending uploads and their entries, e.g. on logout. Started ones are paused, not
 * deleted: the same user picking the same file again later resumes it.
 */
export function resetUploads(): void {
  window.clearTimeout(closeTimer);
  for (const job of [...queue.splice(0), ...active]) {
    job.cancelled = true;
    job.pause?.();
  }
  byId('upload-list', HTMLUListElement).replaceChildren();
  byId('uploads', HTMLElement).hidden = true;
  updateClearButton();
}
