/**
 * How the listing is shown and what it lists: grid or list, its order, a type filter, and a
 * search in the folder or everywhere. The view and the order are display preferences, kept in
 * localStorage (nothing of the user's, never the token); the search and the filter last until
 * another folder is opened.
 */
import { SORT_KEYS, type FileType, type SortKey } from './api.js';
import { byId } from './dom.js';

export type ViewMode = 'grid' | 'list';
export type TypeFilter = FileType | 'all';

export interface BrowseOptions {
  view: ViewMode;
  sort: SortKey;
  type: TypeFilter;
  /** The search, trimmed; empty for none. */
  q: string;
  /** The search covers every folder from the root, not only the children of the one shown. */
  everywhere: boolean;
}

const VIEW_KEY = 'filesManager.view';
const SORT_KEY = 'filesManager.sort';
const DEFAULT_SORT: SortKey = 'name';
const TYPE_FILTERS: readonly TypeFilter[] = ['all', 'folder', 'file', 'image'];
/** Long enough not to list again at every key typed, short enough to feel immediate. */
const SEARCH_DELAY_MS = 300;

interface Controls {
  search: HTMLInputElement;
  scope: HTMLSelectElement;
  type: HTMLSelectElement;
  sort: HTMLSelectElement;
  grid: HTMLButtonElement;
  list: HTMLButtonElement;
}

let controls: Controls | undefined;
let view: ViewMode = 'grid';
let sort: SortKey = DEFAULT_SORT;
/** The search last listed: a search typed and then typed back lists nothing again. */
let searched = '';

function elements(): Controls {
  controls ??= {
    search: byId('search', HTMLInputElement),
    scope: byId('search-scope', HTMLSelectElement),
    type: byId('type-filter', HTMLSelectElement),
    sort: byId('sort', HTMLSelectElement),
    grid: byId('view-grid', HTMLButtonElement),
    list: byId('view-list', HTMLButtonElement),
  };
  return controls;
}

/** A preference, or undefined when there is none or storage is off (a private window may refuse it). */
function stored(key: string): string | undefined {
  try {
    return localStorage.getItem(key) ?? undefined;
  } catch {
    return undefined;
  }
}

function store(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Not remembered: the choice still holds for this visit.
  }
}

const isSortKey = (value: string | undefined): value is SortKey => SORT_KEYS.some((key) => key === value);
const isTypeFilter = (value: string): value is TypeFilter => TYPE_FILTERS.some((filter) => filter === value);

export function browseOptions(): BrowseOptions {
  const { search, scope, type } = elements();
  return { view, sort, type: isTypeFilter(type.value) ? type.value : 'all', q: search.value.trim(), everywhere: scope.value === 'everywhere' };
}

function showView(): void {
  const { grid, list } = elements();
  grid.setAttribute('aria-pressed', String(view === 'grid'));
  list.setAttribute('aria-pressed', String(view === 'list'));
}

function showSort(next: SortKey): void {
  sort = next;
  elements().sort.value = next;
}

/** A new order, from the menu or a column's header. */
export function setSort(next: SortKey): void {
  showSort(next);
  store(SORT_KEY, next);
}

/** Another folder starts unfiltered. */
export function resetSearch(): void {
  const { search, scope, type } = elements();
  search.value = '';
  searched = '';
  scope.value = 'folder';
  type.value = 'all';
}

export interface ControlHooks {
  /** What is listed changed: list again from the first page. */
  queryChanged(): void;
  /** Only how it is shown changed. */
  viewChanged(): void;
}

export function setupControls(hooks: ControlHooks): void {
  const { search, scope, type, sort: sortMenu, grid, list } = elements();
  const storedView = stored(VIEW_KEY);
  view = storedView === 'list' ? 'list' : 'grid';
  const storedSort = stored(SORT_KEY);
  // Only a choice is stored: a page that was merely opened leaves localStorage as it was.
  showSort(isSortKey(storedSort) ? storedSort : DEFAULT_SORT);
  showView();

  let timer: number | undefined;
  const searchNow = (): void => {
    window.clearTimeout(timer);
    if (search.value.trim() === searched) return;
    searched = search.value.trim();
    hooks.queryChanged();
  };
  search.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(searchNow, SEARCH_DELAY_MS);
  });
  byId('search-form', HTMLFormElement).addEventListener('submit', (event) => {
    event.preventDefault();
    searchNow();
  });
  scope.addEventListener('change', () => {
    if (browseOptions().q !== '') hooks.queryChanged();
  });
  type.addEventListener('change', () => hooks.queryChanged());
  sortMenu.addEventListener('change', () => {
    if (!isSortKey(sortMenu.value)) return;
    setSort(sortMenu.value);
    hooks.queryChanged();
  });
  const choose = (next: ViewMode): void => {
    if (view === next) return;
    view = next;
    store(VIEW_KEY, next);
    showView();
    hooks.viewChanged();
  };
  grid.addEventListener('click', () => choose('grid'));
  list.addEventListener('click', () => choose('list'));
}
