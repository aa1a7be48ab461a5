/** Types, sizes and dates as the pages show them; shared by the app and the shared-link page. */

/** Raster formats an <img> shows without running anything (unlike SVG, never listed). */
const RASTER_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp'];
/** Formats the worker makes thumbnails of: only these are uploaded as type "image". */
const THUMBNAILED_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/tiff'];

/** `image/png; charset=…` → `image/png`. */
export function mediaType(contentType: string): string {
  return contentType.split(';')[0]?.trim().toLowerCase() ?? '';
}

export function isRasterImage(contentType: string): boolean {
  return RASTER_TYPES.includes(mediaType(contentType));
}

/** The API's type for an upload of `file`: "image" only for what the worker makes thumbnails of. */
export function uploadType(file: File): 'image' | 'file' {
  return THUMBNAILED_TYPES.includes(mediaType(file.type)) ? 'image' : 'file';
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

/** An ISO date as the reader's locale writes it, or undefined for none or an unreadable one. */
export function formatDate(iso: string | null | undefined): string | undefined {
  if (iso === null || iso === undefined) return undefined;
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return undefined;
  return new Date(time).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** What a message calls some items: the item's name when there is one, else how many there are. */
export function itemsName(items: readonly { name: string }[]): string {
  const [only] = items;
  return items.length === 1 && only !== undefined ? only.name : `${items.length} items`;
}
