/**
 * blob: URLs of the app's origin. Only images (for <img>) and application/octet-stream (for
 * downloads) are ever made: a blob: URL of an HTML, SVG or script type would run as this
 * origin if someone opened it in a tab.
 */
import { isRasterImage } from './api.js';

const DOWNLOAD_TYPE = 'application/octet-stream';

export function imageUrl(blob: Blob, contentType: string): string | undefined {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (!isRasterImage(type)) return undefined;
  return URL.createObjectURL(blob.slice(0, blob.size, type));
}

export function downloadUrl(blob: Blob): string {
  return URL.createObjectURL(blob.slice(0, blob.size, DOWNLOAD_TYPE));
}

/** The blob: URLs one view made, released together when the view goes away. */
export class BlobUrls {
  private readonly urls = new Set<string>();

  add(url: string): string {
    this.urls.add(url);
    return url;
  }

  revokeAll(): void {
    for (const url of this.urls) URL.revokeObjectURL(url);
    this.urls.clear();
  }
}
