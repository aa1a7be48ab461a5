import { ApiError, getFile, isRootId, type FileDoc, type FolderId } from './api.js';
import { h } from './dom.js';

export interface Crumb {
  id: FolderId;
  name: string;
}

export const ROOT_CRUMB: Crumb = { id: 0, name: 'My files' };

/** Folders are not nested this deep; a loop in the data must not keep the page asking forever. */
const MAX_DEPTH = 256;

/** How a folder is read when walking up: GET /files/:id, or a cache of it for many walks at once. */
export type FolderLookup = (id: string) => Promise<FileDoc>;

/**
 * The crumbs from the root to folder `id`, found by walking up its parents: for a folder reached
 * other than from its parent (a reload, Back, a URL sent by someone, a search result).
 */
export async function pathTo(id: FolderId, lookup: FolderLookup = getFile): Promise<Crumb[]> {
  const path: Crumb[] = [];
  let current = id;
  while (!isRootId(current)) {
    const folder = await lookup(String(current));
    if (path.length === 0 && folder.type !== 'folder') throw new ApiError(0, `${folder.name} is not a folder.`);
    path.unshift({ id: folder.id, name: folder.name });
    if (path.length > MAX_DEPTH) throw new ApiError(0, 'This folder is nested too deep to be shown.');
    current = folder.parentId;
  }
  return [ROOT_CRUMB, ...path];
}

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
