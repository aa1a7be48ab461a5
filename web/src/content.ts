/**
 * Reading a file's content from the page: download, and preview of images and plain text.
 * Nothing a user uploaded is ever turned into a document of this origin: images go into an
 * <img> (which runs no script), text into a <pre> through textContent, and everything else,
 * HTML and SVG included, is only offered as a download. What the browser loads by itself (the
 * <img>, the download) comes from a signed URL, as an <img src> or a link cannot send the token.
 */
import { showError } from './alerts.js';
import { fileData, isRasterImage, signedUrl, type FileDoc } from './api.js';
import { openDialog } from './dialogs.js';
import { h, loadedImage } from './dom.js';

/** Text previews stop here; the rest is a download away. */
const TEXT_PREVIEW_BYTES = 1024 * 1024;
/** Types a browser would execute or render as a page: never previewed, even as text. */
const ACTIVE_TYPES = /html|xml|javascript|ecmascript/i;

/**
 * Hands the file to the browser's download manager, with its progress, pause and resume: the
 * bytes go straight to disk, never through the page's memory. The URL asks for an attachment and
 * the link for a download, so the browser saves it whatever its type, and never shows it.
 */
export async function downloadFile(file: FileDoc): Promise<void> {
  const url = await signedUrl(file.id, { disposition: 'attachment' });
  const link = h('a', { class: 'visually-hidden', attrs: { href: url, download: file.name } });
  document.body.append(link);
  link.click();
  link.remove();
}

function mediaType(response: Response): string {
  return (response.headers.get('Content-Type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function isPreviewableText(type: string): boolean {
  if (ACTIVE_TYPES.test(type)) return false;
  return type.startsWith('text/') || type === 'application/json';
}

type PreviewKind = 'image' | 'text' | 'none';

async function previewKind(file: FileDoc): Promise<{ kind: PreviewKind; size: number }> {
  const head = await fileData(file.id, { method: 'HEAD' });
  const type = mediaType(head);
  const size = Number(head.headers.get('Content-Length') ?? '0');
  if (isRasterImage(type)) return { kind: 'image', size };
  if (isPreviewableText(type)) return { kind: 'text', size };
  return { kind: 'none', size };
}

async function textContent(file: FileDoc, size: number, signal: AbortSignal): Promise<{ text: string; truncated: boolean }> {
  const truncated = size > TEXT_PREVIEW_BYTES;
  const response = await fileData(file.id, { signal, range: truncated ? { first: 0, last: TEXT_PREVIEW_BYTES - 1 } : undefined });
  // Non-fatal decoding: a binary file mislabelled as text shows replacement characters, not an error.
  const text = new TextDecoder('utf-8').decode(await response.arrayBuffer());
  return { text, truncated };
}

export interface PreviewOptions {
  /** The items around it, in the listing's order: the arrows step to the previewable ones among them. */
  neighbours?: readonly FileDoc[];
  /** Once the preview is closed, with the item it showed last (the listing puts its focus there). */
  onClose?(last: FileDoc): void;
}

/** Fields keep their arrow keys; everywhere else in the preview they step to another item. */
function isField(target: EventTarget | null): boolean {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

/**
 * Opens the preview of an image or a text file, or downloads anything else. Resolves once the
 * choice is made, so the caller can report an error from the first request. In the preview,
 * Previous and Next (and the left and right arrow keys) show the previewable items around it.
 */
export async function openFile(file: FileDoc, options: PreviewOptions = {}): Promise<void> {
  const first = await previewKind(file);
  if (first.kind === 'none') {
    await downloadFile(file);
    return;
  }
  const neighbours = options.neighbours ?? [file];
  let shown = file;
  let loading = new AbortController();
  /** Bumped by every step, so that of several arrow presses in a row only the last one shows. */
  let stepping = 0;
  const frame = h('div', { class: `preview preview-of-${first.kind}` });
  const previous = h('button', { class: 'button', text: 'Previous', attrs: { type: 'button', 'aria-keyshortcuts': 'ArrowLeft' } });
  const next = h('button', { class: 'button preview-next', text: 'Next', attrs: { type: 'button', 'aria-keyshortcuts': 'ArrowRight' } });
  const parts = openDialog(
    {
      title: file.name,
      submitLabel: 'Download',
      cancelLabel: 'Close',
      wide: true,
      onSubmit: () => downloadFile(shown),
      onClose: () => {
        loading.abort();
        options.onClose?.(shown);
      },
    },
    [frame],
  );
  const close = parts.form.querySelector<HTMLButtonElement>('.dialog-actions button[type="button"]');
  parts.form.querySelector('.dialog-actions')?.prepend(previous, next);
  const heading = parts.form.querySelector('h2');

  /** A button disabled under the focus would drop it out of the dialog, and the arrow keys with it. */
  const setDisabled = (button: HTMLButtonElement, disabled: boolean): void => {
    const hadFocus = document.activeElement === button;
    button.disabled = disabled;
    const other = button === next ? previous : next;
    if (disabled && hadFocus) (other.disabled ? close : other)?.focus();
  };

  /** Whether a file (the only items previewed) lies that way: which of them preview is known only by asking. */
  const fileThatWay = (direction: 1 | -1): boolean => {
    const index = neighbours.findIndex((candidate) => candidate.id === shown.id);
    const rest = direction > 0 ? neighbours.slice(index + 1) : neighbours.slice(0, Math.max(index, 0));
    return index >= 0 && rest.some((candidate) => candidate.type !== 'folder');
  };
  const updateButtons = (): void => {
    setDisabled(previous, !fileThatWay(-1));
    setDisabled(next, !fileThatWay(1));
  };

  const show = async (target: FileDoc, { kind, size }: { kind: PreviewKind; size: number }): Promise<void> => {
    loading.abort();
    const controller = new AbortController();
    loading = controller;
    shown = target;
    if (heading !== null) heading.textContent = target.name;
    parts.error.hidden = true;
    frame.className = `preview preview-of-${kind}`;
    frame.replaceChildren(h('p', { class: 'muted', text: 'Loading…' }));
    updateButtons();
    try {
      if (kind === 'image') {
        const url = await signedUrl(target.id);
        const image = await loadedImage({ class: 'preview-img', attrs: { src: url, alt: target.name } }, controller.signal).catch((error: unknown) => {
          if (controller.signal.aborted) throw error;
          throw new Error('This image cannot be shown here; download it instead.');
        });
        frame.replaceChildren(image);
      } else {
        const { text, truncated } = await textContent(target, size, controller.signal);
        frame.replaceChildren(h('pre', { class: 'preview-text', text, attrs: { tabindex: 0, 'aria-label': `Contents of ${target.name}` } }));
        if (truncated) frame.append(h('p', { class: 'muted', text: 'Only the first MiB is shown: download the file to see all of it.' }));
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      frame.replaceChildren();
      showError(error);
    }
  };

  /** Shows the next previewable item that way, skipping folders and what only downloads. */
  const step = async (direction: 1 | -1): Promise<void> => {
    stepping += 1;
    const mine = stepping;
    let index = neighbours.findIndex((candidate) => candidate.id === shown.id);
    for (index += direction; index >= 0 && index < neighbours.length; index += direction) {
      const candidate = neighbours[index];
      if (candidate === undefined || candidate.type === 'folder') continue;
      const preview = await previewKind(candidate);
      if (mine !== stepping || !parts.dialog.open) return;
      if (preview.kind !== 'none') {
        await show(candidate, preview);
        return;
      }
    }
    setDisabled(direction > 0 ? next : previous, true);
  };
  const stepOrFail = (direction: 1 | -1): void => {
    step(direction).catch((error: unknown) => showError(error));
  };
  previous.addEventListener('click', () => stepOrFail(-1));
  next.addEventListener('click', () => stepOrFail(1));
  parts.dialog.addEventListener('keydown', (event) => {
    if ((event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') || isField(event.target) || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    const direction = event.key === 'ArrowRight' ? 1 : -1;
    if (!(direction > 0 ? next : previous).disabled) stepOrFail(direction);
  });
  // Not awaited: show() reports its own failures in the dialog, which is open by now.
  void show(file, first);
}
