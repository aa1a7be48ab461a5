/** One file's row in a list of uploads, the app's and a drop folder's alike. */
import { h } from './dom.js';

export interface UploadRow {
  entry: HTMLLIElement;
  progress: HTMLProgressElement;
  status: HTMLElement;
  cancel: HTMLButtonElement;
}

/** The file's name, `detail` (its size, where it goes), a progress bar, a status and a Cancel button. */
export function uploadRow(file: File, detail: string): UploadRow {
  const progress = h('progress', { class: 'upload-progress', attrs: { max: Math.max(file.size, 1), value: 0, 'aria-label': `Upload of ${file.name}` } });
  const status = h('span', { class: 'upload-status', text: 'Waiting…' });
  const cancel = h('button', { class: 'button small', text: 'Cancel', attrs: { type: 'button', 'aria-label': `Cancel upload of ${file.name}` } });
  const entry = h('li', { class: 'upload' }, [
    h('span', { class: 'upload-name', text: file.name, attrs: { title: file.name } }),
    h('span', { class: 'upload-size muted', text: detail }),
    progress,
    status,
    cancel,
  ]);
  return { entry, progress, status, cancel };
}

/** The row's last word: done, failed or cancelled, and why; nothing is left to cancel. */
export function endRow(row: UploadRow, state: 'done' | 'failed' | 'cancelled', text: string): void {
  row.entry.classList.add(state);
  row.status.textContent = text;
  row.cancel.remove();
}
