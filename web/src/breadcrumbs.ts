import type { FolderId } from './api.js';
import { h } from './dom.js';

export interface Crumb {
  id: FolderId;
  name: string;
}

export const ROOT_CRUMB: Crumb = { id: 0, name: 'My files' };

/** Every folder but the current one is a button back to it; the current one is aria-current. */
export function renderCrumbs(list: HTMLOListElement, path: readonly Crumb[], go: (depth: number) => void): void {
  list.replaceChildren(
    ...path.map((crumb, depth) => {
      const isCurrent = depth === path.length - 1;
      const content = isCurrent
        ? h('span', { class: 'crumb-current', text: crumb.name, attrs: { 'aria-current': 'location' } })
        : h('button', { class: 'crumb-link', text: crumb.name, attrs: { type: 'button' }, on: { click: () => go(depth) } });
      return h('li', { class: 'crumb' }, [content]);
    }),
  );
}
