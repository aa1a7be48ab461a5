/**
 * The trash view: what was deleted (GET /trash, 20 a page, newest first), each item with the
 * days left before it goes for good, Restore and "Delete forever", and "Empty trash". Only the
 * items deleted directly are listed: what was in a deleted folder comes back with it.
 */
import { clearError, showError, showStatus } from './alerts.js';
import {
  ApiError,
  deleteFromTrash,
  emptyTrash,
  getFile,
  isRootId,
  listTrash,
  PAGE_SIZE,
  restoreFromTrash,
  type FolderId,
  type TrashedFile,
} from './api.js';
import { ROOT_CRUMB } from './breadcrumbs.js';
import { confirmAction } from './dialogs.js';
import { byId, h, icon } from './dom.js';
import { formatDate } from './media.js';
import { refreshUsage } from './usage.js';

const DAY_MS = 86_400_000;

interface View {
  title: HTMLElement;
  list: HTMLUListElement;
  empty: HTMLElement;
  emptyTrash: HTMLButtonElement;
  pager: HTMLElement;
  previous: HTMLButtonElement;
  next: HTMLButtonElement;
  pageLabel: HTMLElement;
}

let view: View | undefined;
let page = 0;
/** Aborted when another page is asked for or the view is left, so a late answer draws nothing. */
let loading = new AbortController();

function elements(): View {
  view ??= {
    title: byId('trash-title', HTMLElement),
    list: byId('trash-list', HTMLUListElement),
    empty: byId('trash-empty', HTMLElement),
    emptyTrash: byId('empty-trash', HTMLButtonElement),
    pager: byId('trash-pager', HTMLElement),
    previous: byId('trash-previous', HTMLButtonElement),
    next: byId('trash-next', HTMLButtonElement),
    pageLabel: byId('trash-page-label', HTMLElement),
  };
  return view;
}

/** "30 days left" from the moment the server will purge the item; the worker may take a while past it. */
export function daysLeft(purgeAt: string, now = Date.now()): string {
  const left = Date.parse(purgeAt) - now;
  if (Number.isNaN(left)) return '';
  if (left <= 0) return 'Deleted for good soon';
  if (left < DAY_MS) return 'Less than a day left';
  const days = Math.ceil(left / DAY_MS);
  return days === 1 ? '1 day left' : `${days} days left`;
}

const KIND = { folder: 'Folder', file: 'File', image: 'Image' } as const;

/** The name of the folder an item was restored into, for the confirmation. */
async function placeName(parentId: FolderId): Promise<string> {
  if (isRootId(parentId)) return ROOT_CRUMB.name;
  // Only a name to show: the restore itself has succeeded, whatever this answers.
  return getFile(String(parentId)).then(
    (folder) => folder.name,
    () => 'its folder',
  );
}

/**
 * After an item went away, the focus would fall to the page's start: it goes to the item now
 * in its place (or the last one), or to the heading when none is left.
 */
function focusAt(index: number): void {
  const { list, title } = elements();
  const items = list.querySelectorAll('li');
  const target = items[Math.min(index, items.length - 1)]?.querySelector('button');
  (target ?? title).focus();
}

/** Keeps a second click from sending the request again while the first runs. */
function setItemBusy(entry: HTMLLIElement, busy: boolean): void {
  for (const button of entry.querySelectorAll('button')) button.disabled = busy;
  entry.setAttribute('aria-busy', String(busy));
}

/** The item was no longer there (purged, or removed from another tab): the list is redrawn instead of a bare "Not found". */
function isGone(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}

function restore(item: TrashedFile, entry: HTMLLIElement, index: number): void {
  clearError();
  setItemBusy(entry, true);
  const run = async (): Promise<void> => {
    try {
      const restored = await restoreFromTrash(item.id);
      showStatus(`${item.name} restored to ${await placeName(restored.parentId)}`);
    } catch (error) {
      if (!isGone(error)) throw error;
      showStatus(`${item.name} is no longer in the trash`);
    }
    refreshUsage();
    await showPage(page);
    focusAt(index);
  };
  run().catch((error: unknown) => {
    setItemBusy(entry, false);
    showError(error);
  });
}

function deleteForever(item: TrashedFile, index: number): void {
  clearError();
  let done = false;
  confirmAction({
    title: `Delete ${item.name} forever?`,
    message:
      item.type === 'folder'
        ? `The folder ${item.name} and everything in it will be deleted for good. This cannot be undone.`
        : `${item.name} will be deleted for good. This cannot be undone.`,
    confirmLabel: 'Delete forever',
    onConfirm: async () => {
      try {
        await deleteFromTrash(item.id);
        showStatus(`${item.name} deleted for good`);
      } catch (error) {
        if (!isGone(error)) throw error;
        showStatus(`${item.name} is no longer in the trash`);
      }
      done = true;
      refreshUsage();
      await showPage(page);
    },
    onClose: () => {
      if (done) focusAt(index);
    },
  });
}

function emptyAll(): void {
  clearError();
  let done = false;
  confirmAction({
    title: 'Empty the trash?',
    message: 'Everything in the trash will be deleted for good. This cannot be undone.',
    confirmLabel: 'Empty trash',
    onConfirm: async () => {
      await emptyTrash();
      done = true;
      showStatus('The trash is empty');
      refreshUsage();
      await showPage(0);
    },
    onClose: () => {
      if (done) elements().title.focus();
    },
  });
}

function renderItem(item: TrashedFile, index: number): HTMLLIElement {
  const deleted = formatDate(item.trashedAt);
  const purged = formatDate(item.purgeAt);
  const meta = deleted === undefined ? KIND[item.type] : `${KIND[item.type]} · deleted ${deleted}`;
  const restoreButton = h('button', { class: 'button small', text: 'Restore', attrs: { type: 'button' } });
  const deleteButton = h('button', { class: 'button small danger-text', text: 'Delete forever', attrs: { type: 'button' } });
  const entry = h('li', { class: 'trash-item', attrs: { 'aria-label': item.name, 'data-id': item.id } }, [
    icon(item.type, `trash-icon trash-icon-${item.type}`),
    h('div', { class: 'trash-info' }, [
      h('p', { class: 'trash-name', text: item.name, attrs: { title: item.name } }),
      h('p', { class: 'item-meta' }, [
        `${meta} · `,
        h('span', { class: 'days-left', text: daysLeft(item.purgeAt), attrs: { title: purged === undefined ? undefined : `Deleted for good after ${purged}` } }),
      ]),
    ]),
    h('div', { class: 'trash-actions' }, [restoreButton, deleteButton]),
  ]);
  restoreButton.addEventListener('click', () => restore(item, entry, index));
  deleteButton.addEventListener('click', () => deleteForever(item, index));
  return entry;
}

function render(items: TrashedFile[]): void {
  const { list, empty, emptyTrash: emptyButton, pager, previous, next, pageLabel } = elements();
  list.replaceChildren(...items.map(renderItem));
  list.hidden = items.length === 0;
  empty.hidden = items.length > 0;
  // Only page 0 can be empty with items elsewhere: showPage steps back from an empty later page.
  emptyButton.disabled = items.length === 0;
  const hasNext = items.length === PAGE_SIZE;
  pager.hidden = page === 0 && !hasNext;
  previous.disabled = page === 0;
  next.disabled = !hasNext;
  pageLabel.textContent = `Page ${page + 1}`;
}

/** Shows page `pageNumber` of the trash. */
async function showPage(pageNumber: number): Promise<void> {
  loading.abort();
  const controller = new AbortController();
  loading = controller;
  page = pageNumber;
  const { list } = elements();
  list.setAttribute('aria-busy', 'true');
  try {
    const items = await listTrash(page, controller.signal);
    if (controller.signal.aborted) return;
    // The last item of the last page went (restored, deleted): step back to a page with items.
    if (items.length === 0 && page > 0) {
      await showPage(page - 1);
      return;
    }
    render(items);
  } catch (error) {
    if (!controller.signal.aborted) showError(error);
  } finally {
    if (loading === controller) list.removeAttribute('aria-busy');
  }
}

/** The trash from its first page, as it is now: it changes with every delete elsewhere. */
export function openTrash(): Promise<void> {
  return showPage(0);
}

/** Stops what the view was loading and forgets it, e.g. when leaving it or on logout. */
export function closeTrash(): void {
  loading.abort();
  page = 0;
  if (view !== undefined) view.list.replaceChildren();
}

export function setupTrash(): void {
  const { previous, next, emptyTrash: emptyButton } = elements();
  previous.addEventListener('click', () => void showPage(Math.max(0, page - 1)));
  next.addEventListener('click', () => void showPage(page + 1));
  emptyButton.addEventListener('click', () => emptyAll());
}
