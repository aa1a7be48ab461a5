/**
 * Uploads from the file picker or a drop, a few at a time, each with its own progress bar.
 * Each goes through the resumable upload protocol (api.ts): a network drop is waited out, and
 * after a reload the same file picked into the same folder carries on where it stopped.
 */
import { showError } from './alerts.js';
import { acceptDroppedFiles } from './dropZone.js';
import { endRow, type UploadRow, uploadRow } from './uploadRow.js';
import { ApiError, QUOTA_EXCEEDED, uploadFile, type FileDoc } from './api.js';
import type { Crumb } from './breadcrumbs.js';
import { byId } from './dom.js';
import { formatSize } from './media.js';
import { refreshUsage } from './usage.js';

const PARALLEL_UPLOADS = 3;

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

/** What a 507 means to the user, and what to do about it: the API's "Quota exceeded" says neither. */
export const QUOTA_MESSAGE = 'Not enough space: this upload would go over your quota. Empty the trash or delete files to make room.';

const queue: Job[] = [];
const active = new Set<Job>();

/** The row's last word and the alert's message. */
function failure(job: Job, error: unknown): { row: string; alert: string } {
  if (error instanceof ApiError && error.status === QUOTA_EXCEEDED) {
    return { row: QUOTA_MESSAGE, alert: `Could not upload ${job.file.name} (${formatSize(job.file.size)}). ${QUOTA_MESSAGE}` };
  }
  if (error instanceof ApiError && error.status === 413) {
    const message = `${job.file.name} (${formatSize(job.file.size)}) is larger than the server accepts: ${error.message}`;
    return { row: message, alert: message };
  }
  const message = `Could not upload ${job.file.name}: ${error instanceof Error ? error.message : 'unknown error'}`;
  return { row: message, alert: message };
}

function finish(job: Job, state: 'done' | 'failed', text: string): void {
  endRow(job, state, text);
  updateClearButton();
}

function updateClearButton(): void {
  const list = byId('upload-list', HTMLUListElement);
  byId('clear-uploads', HTMLButtonElement).hidden = list.querySelector('li.done, li.failed') === null;
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
        (error: unknown) => {
          if (job.cancelled) {
            finish(job, 'failed', 'Cancelled');
            return;
          }
          const { row, alert } = failure(job, error);
          finish(job, 'failed', row);
          showError(alert);
        },
      )
      .finally(() => {
        active.delete(job);
        // Done, refused or cancelled, the upload no longer holds what it reserved of the quota.
        refreshUsage();
        pump(hooks);
      });
  }
}

function enqueue(files: readonly File[], hooks: UploadHooks): void {
  if (files.length === 0) return;
  const panel = byId('uploads', HTMLElement);
  const list = byId('upload-list', HTMLUListElement);
  panel.hidden = false;
  const folder = hooks.target();
  for (const file of files) {
    const job: Job = { ...uploadRow(file, `${formatSize(file.size)} → ${folder.name}`), file, folder, cancelled: false, resumed: false };
    job.cancel.addEventListener('click', () => {
      job.cancelled = true;
      if (job.cancelUpload === undefined) finish(job, 'failed', 'Cancelled');
      else job.cancelUpload();
    });
    list.append(job.entry);
    queue.push(job);
  }
  pump(hooks);
}

export function setupUploads(hooks: UploadHooks): void {
  const input = byId('file-input', HTMLInputElement);
  const zone = byId('files-view', HTMLElement);
  byId('upload', HTMLButtonElement).addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    enqueue([...(input.files ?? [])], hooks);
    // Choosing the same file again must fire "change" again.
    input.value = '';
  });
  byId('clear-uploads', HTMLButtonElement).addEventListener('click', () => {
    for (const entry of byId('upload-list', HTMLUListElement).querySelectorAll('li.done, li.failed')) entry.remove();
    updateClearButton();
    if (byId('upload-list', HTMLUListElement).childElementCount === 0) byId('uploads', HTMLElement).hidden = true;
  });

  acceptDroppedFiles(zone, (files) => enqueue(files, hooks));
}

/**
 * Drops pending uploads and their entries, e.g. on logout. Started ones are paused, not
 * deleted: the same user picking the same file again later resumes it.
 */
export function resetUploads(): void {
  for (const job of [...queue.splice(0), ...active]) {
    job.cancelled = true;
    job.pause?.();
  }
  byId('upload-list', HTMLUListElement).replaceChildren();
  byId('uploads', HTMLElement).hidden = true;
  updateClearButton();
}
