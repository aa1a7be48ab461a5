/**
 * A linked file: its name, size and date, a preview of an image, and a Download link. Previews
 * are the worker's thumbnails only: the original in an <img> would be a complete download, and
 * count against the link's download limit before the visitor asked for anything.
 */
import { h, icon, loadedImage } from './dom.js';
import { formatDate, formatSize } from './media.js';
import type { LinkClient, LinkInfo, SharedFile, ThumbnailWidth } from './shareClient.js';

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 8000;
/** The worker makes thumbnails soon after the upload; a link is seldom opened before that. */
const GIVE_UP_AFTER_MS = 60 * 1000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new DOMException('Aborted', 'AbortError'));
      return;
    }
    const onAbort = (): void => {
      window.clearTimeout(timer);
      reject(new DOMException('Aborted', 'AbortError'));
    };
    const timer = window.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The thumbnail of an image in `slot` once it exists (a 404 means the worker has not made it
 * yet: asked again with a growing delay), or "No preview"; an abort stops it all.
 */
export function showSharedThumbnail(client: LinkClient, file: SharedFile, size: ThumbnailWidth, slot: HTMLElement, signal: AbortSignal, imgClass: string): void {
  const noPreview = (): void => {
    if (!signal.aborted) slot.replaceChildren(icon('image', 'thumb-icon'), h('span', { class: 'visually-hidden', text: 'No preview' }));
  };
  const attempt = async (): Promise<void> => {
    const started = Date.now();
    let delay = FIRST_DELAY_MS;
    let undecodable = 0;
    for (;;) {
      try {
        slot.replaceChildren(await loadedImage({ class: imgClass, attrs: { src: client.dataUrl(file.id, size), alt: file.name, decoding: 'async' } }, signal));
        return;
      } catch (error) {
        if (signal.aborted) throw error;
      }
      // The <img> failed. A thumbnail the server has but the browser cannot show is no preview
      // (tried twice, in case it was made in between); one not made yet (404) is waited for.
      if (await client.thumbnailExists(file.id, size, signal)) {
        undecodable += 1;
        if (undecodable >= 2) throw new Error('The thumbnail cannot be shown.');
        continue;
      }
      if (Date.now() - started > GIVE_UP_AFTER_MS) throw new Error('No thumbnail came.');
      await sleep(delay, signal);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  };
  attempt().catch(noPreview);
}

/** The download of a file under the link: the cookie goes with it, and the server names the file. */
export function downloadLink(client: LinkClient, file: SharedFile, label: string, className: string): HTMLAnchorElement {
  return h('a', { class: className, text: label, attrs: { href: client.dataUrl(file.id), download: file.name } });
}

export function renderFile(client: LinkClient, info: LinkInfo, signal: AbortSignal): HTMLElement {
  const { file } = info;
  const preview = h('div', { class: 'shared-preview' });
  if (file.type === 'image') {
    preview.append(h('span', { class: 'spinner', attrs: { 'aria-hidden': 'true' } }));
    showSharedThumbnail(client, file, 500, preview, signal, 'shared-preview-img');
  } else {
    preview.append(icon('file', 'thumb-icon'));
  }
  const facts = [file.size === null ? undefined : formatSize(file.size), formatDate(file.createdAt)].filter((fact) => fact !== undefined);
  const ends = formatDate(info.expiresAt);
  const download = downloadLink(client, file, 'Download', 'button primary');
  download.prepend(icon('download', 'button-icon'));
  return h('article', { class: 'card shared-file', attrs: { 'aria-labelledby': 'shared-title' } }, [
    preview,
    h('div', { class: 'shared-details' }, [
      h('h1', { text: file.name, attrs: { id: 'shared-title', tabindex: -1 } }),
      facts.length === 0 ? null : h('p', { class: 'muted', text: facts.join(' · ') }),
      ends === undefined ? null : h('p', { class: 'muted small-text', text: `This link ends ${ends}.` }),
      h('div', { class: 'shared-actions' }, [download]),
    ]),
  ]);
}
