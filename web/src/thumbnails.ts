/**
 * The 250 px thumbnail of an image, fetched with the token (an <img src> could not send it).
 * The worker makes thumbnails some time after the upload, so a 404 means "not yet": ask again
 * with a growing delay, and give up after a while rather than poll a broken image forever.
 */
import { ApiError, fileData, type FileDoc } from './api.js';
import { imageUrl } from './blobs.js';
import { h } from './dom.js';

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 8000;
const GIVE_UP_AFTER_MS = 3 * 60 * 1000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new DOMException('Aborted', 'AbortError'));
      return;
    }
    const timer = window.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      window.clearTimeout(timer);
      reject(new DOMException('Aborted', 'AbortError'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function pollThumbnail(file: FileDoc, signal: AbortSignal): Promise<Response | undefined> {
  const started = Date.now();
  let delay = FIRST_DELAY_MS;
  for (;;) {
    try {
      return await fileData(file.id, { size: 250, signal });
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
    }
    if (Date.now() - started > GIVE_UP_AFTER_MS) return undefined;
    await sleep(delay, signal);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
}

/** blob: URLs of thumbnails already fetched, by file id: listing a folder again reuses them. */
const cache = new Map<string, string>();

export function forgetThumbnails(): void {
  for (const url of cache.values()) URL.revokeObjectURL(url);
  cache.clear();
}

function thumbnailImage(file: FileDoc, url: string): HTMLImageElement {
  return h('img', { class: 'thumb-img', attrs: { alt: `Thumbnail of ${file.name}`, src: url, decoding: 'async' } });
}

/** Shows a placeholder in `slot` now and the thumbnail once the worker has made it. */
export function showThumbnail(file: FileDoc, slot: HTMLElement, signal: AbortSignal): void {
  const cached = cache.get(file.id);
  if (cached !== undefined) {
    slot.replaceChildren(thumbnailImage(file, cached));
    return;
  }
  const placeholder = h('span', { class: 'thumb-placeholder', attrs: { 'aria-hidden': 'true' } }, [
    h('span', { class: 'spinner' }),
    h('span', { class: 'thumb-note', text: 'Preparing preview…' }),
  ]);
  slot.replaceChildren(placeholder);
  const giveUp = (): void => {
    placeholder.classList.add('failed');
    placeholder.replaceChildren(h('span', { class: 'thumb-note', text: 'No preview' }));
  };
  pollThumbnail(file, signal)
    .then(async (response) => {
      if (response === undefined) return giveUp();
      const url = imageUrl(await response.blob(), response.headers.get('Content-Type') ?? '');
      if (url === undefined) return giveUp();
      cache.set(file.id, url);
      slot.replaceChildren(thumbnailImage(file, url));
      return undefined;
    })
    .catch((error: unknown) => {
      if (!signal.aborted) {
        console.warn(`thumbnail of ${file.id}:`, error);
        giveUp();
      }
    });
}
