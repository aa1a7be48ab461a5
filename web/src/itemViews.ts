/**
 * The listing's two looks, both an ARIA grid named `Files` whose rows are named after the item:
 * cards with thumbnails, or a table with a column each for the name, size, date and visibility,
 * sorted from its headers. Rows carry no buttons of their own but the name that opens them and a
 * checkbox: the actions are in the one toolbar that acts on the selection (actions.ts). Controls
 * inside a row are out of the tab order: the grid is one tab stop, arrows move inside (listing.ts).
 */
import type { DetailedFile, SortKey } from './api.js';
import type { ViewMode } from './controls.js';
import { h, icon } from './dom.js';
import { formatDate, formatSize } from './media.js';
import { showThumbnail } from './thumbnails.js';

export interface RowContext {
  view: ViewMode;
  /** Stops the thumbnails' polling when the listing is drawn again. */
  signal: AbortSignal;
  sort: SortKey;
  /** For a search everywhere: where each item is, filled in once known; undefined in a folder. */
  location?: (file: DetailedFile) => HTMLElement;
  open(file: DetailedFile): void;
  sortBy(sort: SortKey): void;
}

const KIND = { folder: 'Folder', file: 'File', image: 'Image' } as const;

function visibility(file: DetailedFile): string {
  if (file.type === 'folder') return '';
  return file.isPublic ? 'Public' : 'Private';
}

function describe(file: DetailedFile): string {
  const parts: string[] = [KIND[file.type]];
  if (file.size !== null) parts.push(formatSize(file.size));
  if (file.type !== 'folder') parts.push(visibility(file));
  return parts.join(' · ');
}

function checkbox(file: DetailedFile): HTMLInputElement {
  return h('input', { class: 'item-check', attrs: { type: 'checkbox', tabindex: -1, 'aria-label': `Select ${file.name}` } });
}

function nameButton(file: DetailedFile, context: RowContext): HTMLButtonElement {
  return h('button', { class: 'item-name', text: file.name, attrs: { type: 'button', tabindex: -1, title: file.name }, on: { click: () => context.open(file) } });
}

function rowAttributes(file: DetailedFile): Record<string, string | number> {
  return { 'aria-label': file.name, 'aria-selected': 'false', 'data-id': file.id, tabindex: -1 };
}

function card(file: DetailedFile, context: RowContext): HTMLElement {
  const thumb = h('div', { class: `thumb thumb-${file.type}` });
  if (file.type === 'image') showThumbnail(file, thumb, context.signal);
  else thumb.append(icon(file.type === 'folder' ? 'folder' : 'file', 'thumb-icon'));
  return h('div', { class: `item item-${file.type}`, attrs: { role: 'row', ...rowAttributes(file) } }, [
    h('div', { class: 'item-cell', attrs: { role: 'gridcell' } }, [
      checkbox(file),
      thumb,
      h('div', { class: 'item-info' }, [
        nameButton(file, context),
        h('p', { class: 'item-meta', text: describe(file) }),
        context.location?.(file),
      ]),
    ]),
  ]);
}

function tableRow(file: DetailedFile, context: RowContext): HTMLTableRowElement {
  const date = formatDate(file.createdAt);
  return h('tr', { class: `item-row item-${file.type}`, attrs: rowAttributes(file) }, [
    h('td', { class: 'col-check' }, [checkbox(file)]),
    h('td', { class: 'col-name' }, [icon(file.type, `row-icon row-icon-${file.type}`), nameButton(file, context)]),
    context.location === undefined ? null : h('td', { class: 'col-location' }, [context.location(file)]),
    h('td', { class: 'col-size', text: file.size === null ? '' : formatSize(file.size) }),
    h('td', { class: 'col-date', text: date ?? '' }),
    h('td', { class: 'col-visibility', text: visibility(file) }),
  ]);
}

interface Column {
  label: string;
  className: string;
  /** The ascending key; clicking the header of the sorted column turns its order round. */
  sort?: 'name' | 'size' | 'createdAt';
  /** Said by screen readers only: the check column, whose select-all box is in the toolbar. */
  hidden?: boolean;
}

function header(column: Column, context: RowContext): HTMLTableCellElement {
  const cell = h('th', { class: column.className, attrs: { scope: 'col' } });
  const key = column.sort;
  if (key === undefined) {
    cell.append(column.hidden === true ? h('span', { class: 'visually-hidden', text: column.label }) : column.label);
    return cell;
  }
  const ascending = context.sort === key;
  const descending = context.sort === `-${key}`;
  if (ascending || descending) cell.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
  const arrow = ascending ? '↑' : descending ? '↓' : '';
  cell.append(
    h('button', { class: 'sort-button', attrs: { type: 'button' }, on: { click: () => context.sortBy(ascending ? `-${key}` : key) } }, [
      column.label,
      h('span', { class: 'sort-arrow', text: arrow, attrs: { 'aria-hidden': 'true' } }),
    ]),
  );
  return cell;
}

function gridAttributes(): Record<string, string> {
  return { role: 'grid', 'aria-label': 'Files', 'aria-multiselectable': 'true' };
}

function row(file: DetailedFile, context: RowContext): HTMLElement {
  return context.view === 'grid' ? card(file, context) : tableRow(file, context);
}

/** Adds rows for `files` (a next page) at the end of a grid renderGrid drew. */
export function appendRows(grid: HTMLElement, files: readonly DetailedFile[], context: RowContext): void {
  (grid.querySelector('tbody') ?? grid).append(...files.map((file) => row(file, context)));
}

/** The grid of `files` as `context.view` shows them; its rows are the elements with data-id. */
export function renderGrid(files: readonly DetailedFile[], context: RowContext): HTMLElement {
  if (context.view === 'grid') return h('div', { class: 'grid', attrs: gridAttributes() }, files.map((file) => row(file, context)));
  const columns: Column[] = [
    { label: 'Selected', className: 'col-check', hidden: true },
    { label: 'Name', className: 'col-name', sort: 'name' },
    ...(context.location === undefined ? [] : [{ label: 'Location', className: 'col-location' }]),
    { label: 'Size', className: 'col-size', sort: 'size' },
    { label: 'Added', className: 'col-date', sort: 'createdAt' },
    { label: 'Visibility', className: 'col-visibility' },
  ];
  return h('table', { class: 'file-table', attrs: gridAttributes() }, [
    h('thead', {}, [h('tr', {}, columns.map((column) => header(column, context)))]),
    h('tbody', {}, files.map((file) => row(file, context))),
  ]);
}
