/**
 * The folder being browsed: its breadcrumbs, its items as cards or a table (itemViews.ts), a
 * search or a filter of them, the selection, and the keys and clicks that move through them.
 * Items come 20 at a time, in the order chosen, with `Load more` while the answer's `Link`
 * header names a next page. The folder shown is the URL's (router.ts): opening one navigates.
 */
import { deleteItems, renameItem, setupActions, showSelection } from './actions.js';
import { clearError, showError, showStatus } from './alerts.js';
import { createFolder, getFile, listMore, listPage, PAGE_SIZE, sameFolder, type DetailedFile, type FileDoc, type FolderId } from './api.js';
import { pathTo, ROOT_CRUMB, renderCrumbs, type Crumb } from './breadcrumbs.js';
import { openFile } from './content.js';
import { browseOptions, resetSearch, setSort, setupControls } from './controls.js';
import { promptText } from './dialogs.js';
import { byId, h } from './dom.js';
import { itemsPerLine, keyIntent } from './gridKeys.js';
import { appendRows, renderGrid, type RowContext } from './itemViews.js';
import { navigate, replaceRoute } from './router.js';
import { Selection } from './selection.js';

/** The API's largest page: a listing drawn again asks for as many items as were shown, up to this. */
const MAX_LIMIT = 1000;

interface View {
  crumbsNav: HTMLElement;
  crumbs: HTMLOListElement;
  title: HTMLElement;
  note: HTMLElement;
  area: HTMLElement;
  empty: HTMLElement;
  more: HTMLButtonElement;
}

let view: View | undefined;
let path: Crumb[] = [ROOT_CRUMB];
let files: DetailedFile[] = [];
let next: string | undefined;
/** Aborted when another listing is asked for, so a late answer draws nothing. */
let loading = new AbortController();
/** Aborted when the items are drawn again, so the thumbnails of the old ones stop polling. */
let drawn = new AbortController();
/** The path of a folder opened from the listing, known without asking the server. */
let pendingPath: Crumb[] | undefined;
/** The folders that search results are in, read once per search. */
let folderLookups = new Map<string, Promise<FileDoc>>();
const selection = new Selection();
/** The item that is the listing's one tab stop. */
let focusedId: string | undefined;
/** Set when a folder is opened from the listing: once shown, the focus goes to its first item. */
let focusAfterShow = false;

function elements(): View {
  view ??= {
    crumbsNav: byId('breadcrumbs-nav', HTMLElement),
    crumbs: byId('breadcrumbs', HTMLOListElement),
    title: byId('folder-title', HTMLElement),
    note: byId('search-note', HTMLElement),
    area: byId('listing', HTMLElement),
    empty: byId('empty', HTMLElement),
    more: byId('load-more', HTMLButtonElement),
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

function rows(): HTMLElement[] {
  return [...elements().area.querySelectorAll<HTMLElement>('[data-id]')];
}

const ids = (): string[] => files.map((file) => file.id);

function selectedFiles(): DetailedFile[] {
  return files.filter((file) => selection.has(file.id));
}

/** Makes the row of `id` (else the first) the listing's tab stop. */
function setTabStop(id: string | undefined): void {
  const all = rows();
  const stop = all.find((row) => row.dataset.id === id) ?? all[0];
  focusedId = stop?.dataset.id;
  for (const row of all) row.tabIndex = row === stop ? 0 : -1;
}

function focusIndex(index: number): void {
  const all = rows();
  const row = all[Math.min(Math.max(index, 0), all.length - 1)];
  if (row === undefined) {
    elements().title.focus();
    return;
  }
  setTabStop(row.dataset.id);
  row.focus();
}

function focusItem(id: string): void {
  const index = ids().indexOf(id);
  if (index >= 0) focusIndex(index);
}

function showSelected(): void {
  for (const row of rows()) {
    const selected = selection.has(row.dataset.id ?? '');
    row.setAttribute('aria-selected', String(selected));
    const check = row.querySelector<HTMLInputElement>('.item-check');
    if (check !== null) check.checked = selected;
  }
  elements().area.classList.toggle('has-selection', selection.size > 0);
  showSelection(selectedFiles(), files.length);
}

/** For a search everywhere: the folder each result is in, as a path, filled in once read. */
function locationOf(file: DetailedFile): HTMLElement {
  const span = h('span', { class: 'item-location', text: '…' });
  const lookup = (id: string): Promise<FileDoc> => {
    let found = folderLookups.get(id);
    if (found === undefined) {
      found = getFile(id);
      folderLookups.set(id, found);
    }
    return found;
  };
  pathTo(file.parentId, lookup).then(
    (crumbs) => {
      const where = crumbs.map((crumb) => crumb.name).join(' › ');
      span.textContent = where;
      span.title = `In ${where}`;
    },
    () => {
      span.textContent = '';
    },
  );
  return span;
}

function rowContext(): RowContext {
  const options = browseOptions();
  const everywhere = options.q !== '' && options.everywhere;
  return {
    view: options.view,
    signal: drawn.signal,
    sort: options.sort,
    location: everywhere ? locationOf : undefined,
    open,
    sortBy: (sort) => {
      setSort(sort);
      void list({ refocusHeader: true });
    },
  };
}

const FILTER_NOUN = { folder: 'folders', file: 'files', image: 'images' } as const;

/** Says what a search or a filter shows, since the heading still names the folder. */
function describeQuery(): string {
  const { q, everywhere, type } = browseOptions();
  const only = type === 'all' ? '' : ` (${FILTER_NOUN[type]} only)`;
  if (q !== '') return `Search results for “${q}” ${everywhere ? 'in all folders' : `in ${currentFolder().name}`}${only}`;
  return type === 'all' ? '' : `Showing ${FILTER_NOUN[type]} only`;
}

function render(): void {
  const { crumbsNav, crumbs, title, note, area, empty, more } = elements();
  // At the root the heading says "My files": a lone crumb would only say it again.
  crumbsNav.hidden = path.length <= 1;
  renderCrumbs(crumbs, path, goToCrumb);
  title.textContent = currentFolder().name;
  note.textContent = describeQuery();
  note.hidden = note.textContent === '';
  drawn.abort();
  drawn = new AbortController();
  const hadFocus = area.contains(document.activeElement);
  area.replaceChildren(renderGrid(files, rowContext()));
  selection.keepOnly(ids());
  setTabStop(focusedId);
  showSelected();
  const filtered = note.textContent !== '';
  empty.textContent = filtered ? 'Nothing here matches.' : 'This folder is empty. Upload files or drop them here.';
  empty.hidden = files.length > 0;
  more.hidden = next === undefined;
  if (hadFocus && focusedId !== undefined) focusItem(focusedId);
}

interface ListOptions {
  /** How many items to ask for at once: as many as were shown, to draw a changed folder again in place. */
  limit?: number;
  /** The sort changed from a column's header: the focus stays on that header. */
  refocusHeader?: boolean;
  /** After the change, the focus goes to the item at this place (or the heading when none is left). */
  focusIndex?: number;
}

/** Lists the current folder (or search) from its first page. */
async function list(options: ListOptions = {}): Promise<void> {
  loading.abort();
  const controller = new AbortController();
  loading = controller;
  const { sort, type, q, everywhere } = browseOptions();
  const { area } = elements();
  area.setAttribute('aria-busy', 'true');
  const header = options.refocusHeader === true ? document.activeElement?.closest('th')?.className : undefined;
  try {
    const searchEverywhere = q !== '' && everywhere;
    const page = await listPage(
      {
        parentId: searchEverywhere ? 0 : currentFolder().id,
        recursive: searchEverywhere,
        sort,
        type: type === 'all' ? undefined : type,
        q,
        limit: options.limit === undefined ? undefined : Math.min(Math.max(options.limit, PAGE_SIZE), MAX_LIMIT),
      },
      controller.signal,
    );
    if (controller.signal.aborted) return;
    files = page.files;
    next = page.next;
    render();
    if (header !== undefined) area.querySelector<HTMLButtonElement>(`th.${CSS.escape(header)} button`)?.focus();
    if (options.focusIndex !== undefined) focusIndex(options.focusIndex);
  } catch (error) {
    if (!controller.signal.aborted) showError(error);
  } finally {
    if (loading === controller) area.removeAttribute('aria-busy');
  }
}

async function loadMore(): Promise<void> {
  if (next === undefined) return;
  const controller = new AbortController();
  loading.abort();
  loading = controller;
  const { area, more } = elements();
  // Asked before the button is disabled, which may take the focus from it.
  const buttonHadFocus = document.activeElement === more;
  more.disabled = true;
  try {
    const page = await listMore(next, controller.signal);
    if (controller.signal.aborted) return;
    const firstNew = files.length;
    files = [...files, ...page.files];
    next = page.next;
    const grid = area.firstElementChild;
    if (grid instanceof HTMLElement) appendRows(grid, page.files, rowContext());
    setTabStop(focusedId);
    showSelected();
    more.hidden = next === undefined;
    // The button goes with the last page: the focus goes on, to the first item it brought.
    if (more.hidden && buttonHadFocus) focusIndex(firstNew);
  } finally {
    if (loading === controller) more.disabled = false;
  }
}

/**
 * Shows folder `folderId`, from a route: its path is the one it was opened along, part of the
 * one shown (a crumb, Back), or else found by walking up its parents.
 */
export async function showFolder(folderId: FolderId): Promise<void> {
  const known = pendingPath !== undefined && sameFolder(pendingPath[pendingPath.length - 1]?.id ?? 0, folderId) ? pendingPath : undefined;
  pendingPath = undefined;
  const depth = path.findIndex((crumb) => sameFolder(crumb.id, folderId));
  let nextPath = known ?? (depth >= 0 ? path.slice(0, depth + 1) : undefined);
  if (nextPath === undefined) {
    try {
      nextPath = await pathTo(folderId);
    } catch (error) {
      showError(error, 'This folder could not be opened');
      replaceRoute({ view: 'files', folderId: 0 });
      nextPath = [ROOT_CRUMB];
    }
  }
  const elsewhere = !sameFolder(currentFolder().id, nextPath[nextPath.length - 1]?.id ?? 0);
  path = nextPath;
  if (elsewhere) {
    resetSearch();
    selection.clear();
    focusedId = undefined;
    files = [];
    next = undefined;
  }
  folderLookups = new Map();
  const focus = focusAfterShow;
  focusAfterShow = false;
  await list({ focusIndex: focus ? 0 : undefined });
}

function goToCrumb(depth: number): void {
  const crumb = path[depth];
  if (crumb === undefined) return;
  clearError();
  navigate({ view: 'files', folderId: crumb.id });
}

/** Opens a folder (a navigation, the focus following into it) or a file (its preview, or its download). */
function open(file: DetailedFile): void {
  clearError();
  if (file.type !== 'folder') {
    act(() => openFile(file, { neighbours: files, onClose: (last) => focusItem(last.id) }));
    return;
  }
  // A child of the folder shown: its path is known. A search result elsewhere is found by walking up.
  if (sameFolder(file.parentId, currentFolder().id)) pendingPath = [...path, { id: file.id, name: file.name }];
  focusAfterShow = true;
  navigate({ view: 'files', folderId: file.id });
}

/**
 * Lists the folder again, keeping what was loaded, the selection and the focus. A listing that
 * showed everything still does with new items in it (an upload sorted into the middle must not
 * push the last item out of sight, behind Load more).
 */
export function reload(options: Omit<ListOptions, 'limit'> = {}): Promise<void> {
  return list({ ...options, limit: next === undefined ? files.length + PAGE_SIZE : files.length });
}

/** Forgets the folder, e.g. on logout, so the next user starts at the root with nothing selected. */
export function resetListing(): void {
  loading.abort();
  drawn.abort();
  path = [ROOT_CRUMB];
  files = [];
  next = undefined;
  pendingPath = undefined;
  selection.clear();
  focusedId = undefined;
  resetSearch();
  if (view !== undefined) {
    view.area.replaceChildren();
    showSelection([], 0);
  }
}

function rowOf(target: EventTarget | null): HTMLElement | undefined {
  if (!(target instanceof Element)) return undefined;
  return target.closest<HTMLElement>('[data-id]') ?? undefined;
}

function fileOf(row: HTMLElement): DetailedFile | undefined {
  return files.find((file) => file.id === row.dataset.id);
}

function onClick(event: MouseEvent): void {
  const row = rowOf(event.target);
  if (row === undefined) {
    // A click beside the items, as on a desktop, lets go of the selection.
    if (event.target === elements().area || (event.target instanceof Element && event.target.matches('.grid'))) {
      selection.clear();
      showSelected();
    }
    return;
  }
  const id = row.dataset.id ?? '';
  if (event.target instanceof Element && event.target.closest('.item-name') !== null) return;
  const onCheckbox = event.target instanceof HTMLInputElement;
  selection.choose(id, ids(), { range: event.shiftKey, toggle: onCheckbox || event.ctrlKey || event.metaKey });
  setTabStop(id);
  row.focus({ preventScroll: true });
  showSelected();
}

function onDoubleClick(event: MouseEvent): void {
  const row = rowOf(event.target);
  if (row === undefined || event.target instanceof HTMLInputElement || (event.target instanceof Element && event.target.closest('.item-name') !== null)) return;
  const file = fileOf(row);
  if (file !== undefined) open(file);
}

function onKeyDown(event: KeyboardEvent): void {
  const row = rowOf(event.target);
  // Keys go to the controls inside a row (a checkbox, the name) as they would anywhere.
  if (row === undefined || event.target !== row) return;
  const all = rows();
  const index = all.indexOf(row);
  const intent = keyIntent(event, index, all.length, browseOptions().view, itemsPerLine(all));
  const file = fileOf(row);
  if (intent === undefined || file === undefined) return;
  event.preventDefault();
  switch (intent.kind) {
    case 'move': {
      const target = all[intent.to];
      const id = target?.dataset.id;
      if (target === undefined || id === undefined) return;
      if (intent.select) {
        if (intent.range) selection.anchorAt(file.id);
        selection.choose(id, ids(), { range: intent.range, toggle: false });
        showSelected();
      }
      focusIndex(intent.to);
      return;
    }
    case 'toggle':
      if (intent.range) selection.anchorAt(file.id);
      selection.choose(file.id, ids(), { range: intent.range, toggle: !intent.range });
      showSelected();
      return;
    case 'open':
      open(file);
      return;
    case 'delete':
      deleteItems(selection.has(file.id) ? selectedFiles() : [file]);
      return;
    case 'rename':
      renameItem(file);
      return;
    case 'clear':
      selection.clear();
      showSelected();
      return;
    case 'all':
      selection.selectAll(ids());
      showSelected();
      return;
  }
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

export function setupListing(): void {
  const { area, more, title } = elements();
  // The heading takes the focus when a folder has nothing to put it on.
  title.tabIndex = -1;
  area.addEventListener('click', onClick);
  area.addEventListener('dblclick', onDoubleClick);
  area.addEventListener('keydown', onKeyDown);
  area.addEventListener('focusin', (event) => {
    const row = rowOf(event.target);
    if (row !== undefined) setTabStop(row.dataset.id);
  });
  more.addEventListener('click', () => act(loadMore));
  byId('new-folder', HTMLButtonElement).addEventListener('click', () => newFolder());
  setupControls({
    queryChanged: () => {
      selection.clear();
      focusedId = undefined;
      folderLookups = new Map();
      void list();
    },
    viewChanged: () => render(),
  });
  setupActions({
    selected: selectedFiles,
    changed: (at) => reload({ focusIndex: at }),
    indexOf: (file) => ids().indexOf(file.id),
    selectAll: (on) => {
      if (on) selection.selectAll(ids());
      else selection.clear();
      showSelected();
    },
  });
}
