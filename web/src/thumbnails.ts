/**
 * The 250 px thumbnail of an image, as an <img> of a signed URL: the signature stands in for the
 * token (which never goes in a URL), and the browser's cache keeps the picture while the URL lives.
 * The worker makes thumbnails some time after the upload, so a 404 means "not yet": ask again
 * with a growing delay, and give up after a while rather than poll a broken image forever.
 */
import { ApiError, cachedSignedUrl, signedUrl, type FileDoc, type SignedUrlOptions } from './api.js';
import { h, loadedImage, type Props } from './dom.js';

const THUMBNAIL: SignedUrlOptions = { size: 250 };
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

/** Whether the worker has made the thumbnail yet, asked of the signed URL itself: no token needed. */
async function thumbnailExists(url: string, signal: AbortSignal): Promise<boolean> {
  // no-store: a "not yet" must never be answered from the cache on the next round.
  const response = await fetch(url, { method: 'HEAD', credentials: 'omit', cache: 'no-store', redirect: 'error', signal });
  if (response.status === 404) return false;
  if (!response.ok) throw new ApiError(response.status, `The thumbnail could not be read (HTTP ${response.status}).`);
  return true;
}

/** The thumbnail's signed URL once it exists; undefined if it never came. */
async function pollThumbnail(file: FileDoc, signal: AbortSignal): Promise<string | undefined> {
  const started = Date.now();
  let delay = FIRST_DELAY_MS;
  for (;;) {
    // Asked each round, not once: the cache answers at once, and a URL near its end is replaced.
    const url = await signedUrl(file.id, THUMBNAIL);
    if (await thumbnailExists(url, signal)) return url;
    if (Date.now() - started > GIVE_UP_AFTER_MS) return undefined;
    await sleep(delay, signal);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
}

/** Files whose thumbnail was shown: it exists, so listing the folder again shows it at once. */
const shown = new Set<string>();

export function forgetThumbnails(): void {
  shown.clear();
}

function thumbnailProps(file: FileDoc, url: string): Props {
  return { class: 'thumb-img', attrs: { alt: `Thumbnail of ${file.name}`, src: url, decoding: 'async' } };
}

/** Shows a placeholder in `slot` now and the thumbnail once the worker has made it. */
export function showThumbnail(file: FileDoc, slot: HTMLElement, signal: AbortSignal): void {
  // The same URL as last time: the browser's cache has the picture, so no placeholder flashes.
  const known = shown.has(file.id) ? cachedSignedUrl(file.id, THUMBNAIL) : undefined;
  if (known !== undefined) {
    slot.replaceChildren(h('img', thumbnailProps(file, known)));
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
    .then(async (url) => {
      if (url === undefined) return giveUp();
      const image = await loadedImage(thumbnailProps(file, url), signal);
      shown.add(file.id);
      slot.replaceChildren(image);
      return undefined;
    })
    .catch((error: unknown) => {
      if (!signal.aborted) {
        console.warn(`thumbnail of ${file.id}:`, error);
        giveUp();
      }
    });
}
