/**
 * Reading a file's content from the page: download, and preview of images and plain text.
 * Nothing a user uploaded is ever turned into a document of this origin: images go into an
 * <img> (which runs no script), text into a <pre> through textContent, and everything else,
 * HTML and SVG included, is only offered as a download. What the browser loads by itself (the
 * <img>, the download) comes from a signed URL, as an <img src> or a link cannot send the token.
 */
import { fileData, isRasterImage, signedUrl, type FileDoc } from './api.js';
import { showError } from './alerts.js';
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

/**
 * Opens the preview of an image or a text file, or downloads anything else. Resolves once the
 * choice is made, so the caller can report an error from the first request.
 */
export async function openFile(file: FileDoc): Promise<void> {
  const { kind, size } = await previewKind(file);
  if (kind === 'none') {
    await downloadFile(file);
    return;
  }
  const controller = new AbortController();
  const frame = h('div', { class: `preview preview-of-${kind}` }, [h('p', { class: 'muted', text: 'Loading…' })]);
  openDialog(
    {
      title: file.name,
      submitLabel: 'Download',
      cancelLabel: 'Close',
      wide: true,
      onSubmit: () => downloadFile(file),
      onClose: () => controller.abort(),
    },
    [frame],
  );
  try {
    if (kind === 'image') {
      const url = await signedUrl(file.id);
      const image = await loadedImage({ class: 'preview-img', attrs: { src: url, alt: file.name } }, controller.signal).catch((error: unknown) => {
        if (controller.signal.aborted) throw error;
        throw new Error('This image cannot be shown here; download it instead.');
      });
      frame.replaceChildren(image);
    } else {
      const { text, truncated } = await textContent(file, size, controller.signal);
      frame.replaceChildren(h('pre', { class: 'preview-text', text, attrs: { tabindex: 0, 'aria-label': `Contents of ${file.name}` } }));
      if (truncated) frame.append(h('p', { class: 'muted', text: 'Only the first MiB is shown: download the file to see all of it.' }));
    }
  } catch (error) {
    if (controller.signal.aborted) return;
    frame.replaceChildren();
    showError(error);
  }
}
