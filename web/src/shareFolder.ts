/**
 * A linked folder to browse: the folder shown is in the URL's hash (`#<folder id>`, none for the
 * linked folder itself), so Back and Forward move between folders and a reload stays put. Its
 * breadcrumbs are found by walking up from it to the linked folder; its children come 20 at a
 * time, with "More" while a page is full.
 */
import { showError } from './alerts.js';
import { h, icon, loadedImage } from './dom.js';
import { ApiError } from './http.js';
import { formatDate } from './media.js';
import { SHARED_PAGE_SIZE, type LinkClient, type LinkInfo, type SharedFile } from './shareClient.js';
import { downloadLink } from './shareFile.js';

/** How far up breadcrumbs are looked for: deeper folders start their breadcrumbs with "…". */
const MAX_DEPTH = 32;
const FOLDER_ID = /^[0-9a-f]{24}$/;

interface Crumb {
  /** undefined: the linked folder. */
  id: string | undefined;
  name: string;
}

function hashFor(id: string | undefined): string {
  return id === undefined ? '#' : `#${id}`;
}

export interface FolderHooks {
  /** A failure of the link itself (ended, password needed again): share.ts decides what to show. */
  fail(error: unknown): void;
}

export function renderFolder(client: LinkClient, info: LinkInfo, lifetime: AbortSignal, hooks: FolderHooks): HTMLElement {
  const root = info.file;
  const known = new Map<string, SharedFile>();
  const crumbs = h('ol', { class: 'crumbs' });
  const title = h('h1', { class: 'folder-title', attrs: { id: 'shared-title', tabindex: -1 } });
  const list = h('ul', { class: 'grid', attrs: { role: 'list', 'aria-label': 'Files' } });
  const empty = h('p', { class: 'empty muted', text: 'This folder is empty.', attrs: { hidden: true } });
  const more = h('button', { class: 'button', text: 'More', attrs: { type: 'button' } });
  const pager = h('div', { class: 'pager', attrs: { hidden: true } }, [more]);
  const ends = formatDate(info.expiresAt);

  let current: string | undefined;
  let page = 0;
  let loading = new AbortController();

  const folderFromHash = (): string | undefined => {
    // Only ids are ever put there: anything else (even malformed escapes) means the linked folder.
    const id = location.hash.slice(1);
    return FOLDER_ID.test(id) && id !== root.id ? id : undefined;
  };

  const renderItem = (file: SharedFile, signal: AbortSignal): HTMLLIElement => {
    const thumb = h('div', { class: `thumb thumb-${file.type} static` });
    if (file.type === 'folder') {
      thumb.append(h('a', { class: 'thumb-link', attrs: { href: hashFor(file.id), tabindex: -1, 'aria-hidden': 'true' } }, [icon('folder', 'thumb-icon')]));
    } else {
      thumb.append(icon(file.type === 'image' ? 'image' : 'file', 'thumb-icon'));
    }
    if (file.type === 'image') {
      // A thumbnail not made yet, or that cannot be shown, leaves the icon.
      loadedImage({ class: 'thumb-img', attrs: { src: client.dataUrl(file.id, 250), alt: `Thumbnail of ${file.name}`, decoding: 'async' } }, signal).then(
        (img) => thumb.replaceChildren(img),
        () => undefined,
      );
    }
    const name =
      file.type === 'folder'
        ? h('a', { class: 'item-name', text: file.name, attrs: { href: hashFor(file.id), title: file.name } })
        : h('span', { class: 'item-name static', text: file.name, attrs: { title: file.name } });
    const kind = file.type === 'folder' ? 'Folder' : file.type === 'image' ? 'Image' : 'File';
    return h('li', { class: `item item-${file.type}`, attrs: { 'aria-label': file.name, 'data-id': file.id } }, [
      thumb,
      h('div', { class: 'item-info' }, [name, h('p', { class: 'item-meta', text: kind })]),
      file.type === 'folder' ? null : h('div', { class: 'item-actions' }, [downloadLink(client, file, 'Download', 'button small')]),
    ]);
  };

  /** The folders from the linked one down to `id`, from what was listed or by asking. */
  const pathTo = async (id: string | undefined, signal: AbortSignal): Promise<Crumb[]> => {
    const path: Crumb[] = [];
    let next = id;
    for (let depth = 0; next !== undefined && next !== root.id; depth += 1) {
      if (depth === MAX_DEPTH) {
        path.unshift({ id: next, name: '…' });
        break;
      }
      const folder = known.get(next) ?? (await client.item(next, signal));
      known.set(folder.id, folder);
      if (folder.type !== 'folder') throw new ApiError(404, 'Not a folder');
      path.unshift({ id: folder.id, name: folder.name });
      next = folder.parentId === 0 ? undefined : folder.parentId;
    }
    return [{ id: undefined, name: root.name }, ...path];
  };

  const renderCrumbs = (path: Crumb[]): void => {
    crumbs.replaceChildren(
      ...path.map((crumb, depth) => {
        const content =
          depth === path.length - 1
            ? h('span', { class: 'crumb-current', text: crumb.name, attrs: { 'aria-current': 'location' } })
            : h('a', { class: 'crumb-link', text: crumb.name, attrs: { href: hashFor(crumb.id) } });
        return h('li', { class: 'crumb' }, [content]);
      }),
    );
  };

  const remember = (files: SharedFile[]): void => {
    for (const file of files) if (file.type === 'folder') known.set(file.id, file);
  };

  /** A folder that is not under the link (a hash typed or kept from before a move): back to the linked folder, if the link still works. */
  const notInLink = async (error: unknown): Promise<void> => {
    try {
      await client.info(lifetime);
    } catch {
      hooks.fail(error);
      return;
    }
    showError('That folder is not part of this link (it may have been moved or deleted).');
    history.replaceState(null, '', `${location.pathname}${location.search}`);
    void show(undefined, false);
  };

  const show = async (id: string | undefined, focus: boolean): Promise<void> => {
    loading.abort();
    const controller = new AbortController();
    loading = controller;
    const signal = AbortSignal.any([controller.signal, lifetime]);
    current = id;
    page = 0;
    list.setAttribute('aria-busy', 'true');
    try {
      const [path, files] = await Promise.all([pathTo(id, signal), client.list(id, 0, signal)]);
      if (signal.aborted) return;
      remember(files);
      renderCrumbs(path);
      title.textContent = path[path.length - 1]?.name ?? root.name;
      document.title = `${title.textContent} · Files Manager`;
      list.replaceChildren(...files.map((file) => renderItem(file, signal)));
      empty.hidden = files.length > 0;
      pager.hidden = files.length < SHARED_PAGE_SIZE;
      if (focus) title.focus();
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError && error.status === 404 && id !== undefined) await notInLink(error);
      else hooks.fail(error);
    } finally {
      if (loading === controller) list.removeAttribute('aria-busy');
    }
  };

  more.addEventListener('click', () => {
    const signal = AbortSignal.any([loading.signal, lifetime]);
    const nextPage = page + 1;
    more.disabled = true;
    client
      .list(current, nextPage, signal)
      .then((files) => {
        if (signal.aborted) return;
        page = nextPage;
        remember(files);
        const items = files.map((file) => renderItem(file, signal));
        list.append(...items);
        pager.hidden = files.length < SHARED_PAGE_SIZE;
        // The button may have gone: the keyboard carries on at the first new item.
        items[0]?.querySelector<HTMLElement>('a')?.focus();
      })
      .catch((error: unknown) => {
        if (!signal.aborted) hooks.fail(error);
      })
      .finally(() => {
        more.disabled = false;
      });
  });

  window.addEventListener('hashchange', () => void show(folderFromHash(), true), { signal: lifetime });
  lifetime.addEventListener('abort', () => loading.abort(), { once: true });
  void show(folderFromHash(), false);

  return h('section', { class: 'files shared-folder', attrs: { 'aria-labelledby': 'shared-title' } }, [
    h('nav', { class: 'breadcrumbs', attrs: { 'aria-label': 'Breadcrumbs' } }, [crumbs]),
    h('div', { class: 'files-head' }, [title]),
    h('p', { class: 'drop-hint muted', text: ends === undefined ? 'A shared folder: open folders, download files.' : `A shared folder: open folders, download files. This link ends ${ends}.` }),
    list,
    empty,
    pager,
  ]);
}
