/**
 * The folder being browsed: breadcrumbs, one page of items (the API's 20 per page) with
 * previous/next, and each item's actions.
 */
import { clearError, showError, showStatus } from './alerts.js';
import { createFolder, deleteFile, listFiles, PAGE_SIZE, publicLink, setPublished, updateFile, type FileDoc } from './api.js';
import { ROOT_CRUMB, renderCrumbs, type Crumb } from './breadcrumbs.js';
import { downloadFile, openFile } from './content.js';
import { confirmAction, promptText } from './dialogs.js';
import { byId, h, icon } from './dom.js';
import { openShareDialog } from './linksDialog.js';
import { openMoveDialog } from './move.js';
import { showThumbnail } from './thumbnails.js';
import { refreshUsage } from './usage.js';

interface View {
  crumbs: HTMLOListElement;
  title: HTMLElement;
  list: HTMLUListElement;
  empty: HTMLElement;
  pager: HTMLElement;
  previous: HTMLButtonElement;
  next: HTMLButtonElement;
  pageLabel: HTMLElement;
}

let view: View | undefined;
let path: Crumb[] = [ROOT_CRUMB];
let page = 0;
/** Aborted when the view changes, so late answers and thumbnail polls of an old page stop. */
let loading = new AbortController();

function elements(): View {
  view ??= {
    crumbs: byId('breadcrumbs', HTMLOListElement),
    title: byId('folder-title', HTMLElement),
    list: byId('listing', HTMLUListElement),
    empty: byId('empty', HTMLElement),
    pager: byId('pager', HTMLElement),
    previous: byId('previous-page', HTMLButtonElement),
    next: byId('next-page', HTMLButtonElement),
    pageLabel: byId('page-label', HTMLElement),
  };
  return view;
}

export function currentFolder(): Crumb {
  return path[path.length - 1] ?? ROOT_CRUMB;
}

/** Runs a user action, reporting its failure in the alert instead of losing it. */
function act(action: () => Promise<void>): void {
  clearError();
  action().catch((error: unknown) => showError(error));
}

function describe(file: FileDoc): string {
  const kind = file.type === 'folder' ? 'Folder' : file.type === 'image' ? 'Image' : 'File';
  return file.type === 'folder' ? kind : `${kind} · ${file.isPublic ? 'Public' : 'Private'}`;
}

function actionButton(label: string, onClick: () => void, extraClass = ''): HTMLButtonElement {
  return h('button', { class: `button small ${extraClass}`.trim(), text: label, attrs: { type: 'button' }, on: { click: onClick } });
}

function publicLinkField(file: FileDoc): HTMLElement {
  const inputId = `link-${file.id}`;
  const input = h('input', { class: 'field link-field', attrs: { id: inputId, type: 'text', readonly: true, value: publicLink(file.id) } });
  input.addEventListener('focus', () => input.select());
  const copy = async (): Promise<void> => {
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
    } catch {
      // Without clipboard permission the selected text is still one Ctrl+C away.
      throw new Error('Copying was not allowed by the browser: the link is selected, press Ctrl+C to copy it.');
    }
    showStatus(`Public link of ${file.name} copied`);
  };
  return h('div', { class: 'item-link' }, [
    h('label', { class: 'label small', text: 'Public link', attrs: { for: inputId } }),
    h('div', { class: 'link-row' }, [input, actionButton('Copy link', () => act(copy))]),
  ]);
}

function renderItem(file: FileDoc, signal: AbortSignal): HTMLLIElement {
  const open = (): void => {
    if (file.type === 'folder') void goTo([...path, { id: file.id, name: file.name }], 0);
    else act(() => openFile(file));
  };
  const thumb = h('div', { class: `thumb thumb-${file.type}`, on: { click: open } });
  if (file.type === 'image') showThumbnail(file, thumb, signal);
  else thumb.append(icon(file.type === 'folder' ? 'folder' : 'file', 'thumb-icon'));

  const actions: HTMLButtonElement[] = [];
  if (file.type !== 'folder') actions.push(actionButton('Download', () => act(() => downloadFile(file))));
  actions.push(
    actionButton('Rename', () => rename(file)),
    actionButton('Move', () => openMoveDialog(file, (moved) => afterMove(moved))),
    actionButton('Delete', () => remove(file), 'danger-text'),
  );
  if (file.type !== 'folder') {
    actions.push(actionButton(file.isPublic ? 'Unpublish' : 'Publish', () => act(() => togglePublic(file))));
  }
  actions.push(
    actionButton('Share', () => {
      clearError();
      openShareDialog(file);
    }),
  );

  return h('li', { class: `item item-${file.type}`, attrs: { 'aria-label': file.name, 'data-id': file.id } }, [
    thumb,
    h('div', { class: 'item-info' }, [
      h('button', { class: 'item-name', text: file.name, attrs: { type: 'button', title: file.name }, on: { click: open } }),
      h('p', { class: 'item-meta', text: describe(file) }),
    ]),
    h('div', { class: 'item-actions' }, actions),
    file.isPublic && file.type !== 'folder' ? publicLinkField(file) : null,
  ]);
}

/** Redraws one item in place (rename, publish), keeping the keyboard focus on the same control. */
function replaceItem(file: FileDoc, focusLabel?: string): void {
  const old = elements().list.querySelector<HTMLLIElement>(`li[data-id="${CSS.escape(file.id)}"]`);
  if (old === null) return;
  const fresh = renderItem(file, loading.signal);
  old.replaceWith(fresh);
  if (focusLabel === undefined) return;
  const button = [...fresh.querySelectorAll('button')].find((candidate) => candidate.textContent === focusLabel);
  button?.focus();
}

function render(files: FileDoc[]): void {
  const { crumbs, title, list, empty, pager, previous, next, pageLabel } = elements();
  renderCrumbs(crumbs, path, (depth) => void goTo(path.slice(0, depth + 1), 0));
  title.textContent = currentFolder().name;
  list.replaceChildren(...files.map((file) => renderItem(file, loading.signal)));
  empty.hidden = files.length > 0;
  const hasNext = files.length === PAGE_SIZE;
  pager.hidden = page === 0 && !hasNext;
  previous.disabled = page === 0;
  next.disabled = !hasNext;
  pageLabel.textContent = `Page ${page + 1}`;
}

/** Shows page `pageNumber` of the last folder of `nextPath`. */
export async function goTo(nextPath: Crumb[], pageNumber: number): Promise<void> {
  loading.abort();
  const controller = new AbortController();
  loading = controller;
  path = nextPath;
  page = pageNumber;
  const { list } = elements();
  list.setAttribute('aria-busy', 'true');
  try {
    const files = await listFiles(currentFolder().id, page, controller.signal);
    if (controller.signal.aborted) return;
    // The last item of the last page went away (deleted, moved): step back to a page with items.
    if (files.length === 0 && page > 0) {
      await goTo(path, page - 1);
      return;
    }
    render(files);
  } catch (error) {
    if (!controller.signal.aborted) showError(error);
  } finally {
    if (loading === controller) list.removeAttribute('aria-busy');
  }
}

export function reload(): Promise<void> {
  return goTo(path, page);
}

/** Forgets the folder and page, e.g. on logout, so the next user starts at the root. */
export function resetListing(): void {
  loading.abort();
  path = [ROOT_CRUMB];
  page = 0;
  if (view !== undefined) view.list.replaceChildren();
}

export function setupListing(): void {
  const { previous, next } = elements();
  previous.addEventListener('click', () => void goTo(path, Math.max(0, page - 1)));
  next.addEventListener('click', () => void goTo(path, page + 1));
  byId('new-folder', HTMLButtonElement).addEventListener('click', () => newFolder());
}

function newFolder(): void {
  clearError();
  const parent = currentFolder();
  promptText({
    title: `New folder in ${parent.name}`,
    label: 'Folder name',
    submitLabel: 'Create',
    onSubmit: async (name) => {
      const folder = await createFolder(name, parent.id);
      showStatus(`Folder ${folder.name} created`);
      await reload();
    },
  });
}

function rename(file: FileDoc): void {
  clearError();
  promptText({
    title: `Rename ${file.name}`,
    label: 'New name',
    value: file.name,
    submitLabel: 'Rename',
    onSubmit: async (name) => {
      const renamed = await updateFile(file.id, { name });
      replaceItem(renamed, 'Rename');
      showStatus(`Renamed to ${renamed.name}`);
    },
  });
}

function afterMove(moved: FileDoc): void {
  showStatus(`${moved.name} moved`);
  void reload();
}

/** A delete moves the item to the trash, from where it can be restored until it is purged. */
function remove(file: FileDoc): void {
  clearError();
  confirmAction({
    title: `Delete ${file.name}?`,
    message:
      file.type === 'folder'
        ? `The folder ${file.name} and everything in it will be moved to the trash. You can restore it from there until it is deleted for good.`
        : `${file.name} will be moved to the trash. You can restore it from there until it is deleted for good.`,
    confirmLabel: 'Delete',
    onConfirm: async () => {
      await deleteFile(file.id);
      showStatus(`${file.name} moved to the trash`);
      // The bytes still count (the trash's share of them changed): the bar says so.
      refreshUsage();
      await reload();
    },
  });
}

async function togglePublic(file: FileDoc): Promise<void> {
  const updated = await setPublished(file.id, !file.isPublic);
  replaceItem(updated, updated.isPublic ? 'Unpublish' : 'Publish');
  showStatus(updated.isPublic ? `${updated.name} is public: anyone with the link can download it` : `${updated.name} is private again`);
}

