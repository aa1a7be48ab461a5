/**
 * What a key pressed on an item of the listing means, as in the file managers people know:
 * arrows move (and select, unless Ctrl or Cmd is held; Shift extends the selection), Space
 * selects, Enter opens, Delete deletes, F2 renames, Escape clears the selection, Ctrl+A
 * selects everything. Only the meaning is decided here; listing.ts does it.
 */
import type { ViewMode } from './controls.js';

export type KeyIntent =
  | { kind: 'move'; to: number; range: boolean; select: boolean }
  | { kind: 'toggle'; range: boolean }
  | { kind: 'open' | 'delete' | 'rename' | 'clear' | 'all' };

/** The items on a line of the grid of cards, from where they are laid out. */
export function itemsPerLine(rows: readonly HTMLElement[]): number {
  const top = rows[0]?.offsetTop;
  const line = rows.findIndex((row) => row.offsetTop !== top);
  return line < 0 ? Math.max(rows.length, 1) : line;
}

/** Where an arrow or Home/End goes from `index`, or undefined if the key moves nothing. */
function target(key: string, index: number, count: number, view: ViewMode, perLine: number): number | undefined {
  const step = view === 'grid' ? perLine : 1;
  switch (key) {
    case 'ArrowDown':
      return Math.min(index + step, count - 1);
    case 'ArrowUp':
      return Math.max(index - step, 0);
    case 'ArrowRight':
      return view === 'grid' ? Math.min(index + 1, count - 1) : undefined;
    case 'ArrowLeft':
      return view === 'grid' ? Math.max(index - 1, 0) : undefined;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return undefined;
  }
}

export function keyIntent(event: KeyboardEvent, index: number, count: number, view: ViewMode, perLine: number): KeyIntent | undefined {
  const command = event.ctrlKey || event.metaKey;
  const to = target(event.key, index, count, view, perLine);
  if (to !== undefined && !event.altKey) return { kind: 'move', to, range: event.shiftKey, select: !command || event.shiftKey };
  switch (event.key) {
    case ' ':
      return { kind: 'toggle', range: event.shiftKey };
    case 'Enter':
      return { kind: 'open' };
    case 'Delete':
      return { kind: 'delete' };
    // A Mac keyboard's delete key is Backspace: Cmd+Backspace moves to the trash in the Finder.
    case 'Backspace':
      return event.metaKey ? { kind: 'delete' } : undefined;
    case 'F2':
      return { kind: 'rename' };
    case 'Escape':
      return { kind: 'clear' };
    case 'a':
    case 'A':
      return command && !event.shiftKey && !event.altKey ? { kind: 'all' } : undefined;
    default:
      return undefined;
  }
}
