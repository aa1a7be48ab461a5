import { buffer } from 'node:stream/consumers';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { thumbnailKey, THUMBNAIL_WIDTHS } from '../files/byteStore';
import type { Blob } from '../files/storage';

/** Formats sharp can both read and write, so a thumbnail keeps its original's format. */
const OUTPUT_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff'] as const;
type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The image itself is the problem: no later attempt can succeed. */
export class ThumbnailError extends Error {
  override name = 'ThumbnailError';
}

/** sharp reports AVIF as `heif` with an AV1 compression; other HEIF (HEVC) cannot be written. */
function outputFormat(metadata: Metadata): OutputFormat {
  const format = metadata.format === 'heif' && metadata.compression === 'av1' ? 'avif' : metadata.format;
  const supported = OUTPUT_FORMATS.find((candidate) => candidate === format);
  if (supported === undefined) throw new ThumbnailError(`Unsupported image format: ${format ?? 'unknown'}`);
  return supported;
}

/**
 * Writes the thumbnails of an image beside it, in its store: each as wide as one of
 * THUMBNAIL_WIDTHS, aspect kept, EXIF orientation applied, transparency kept, in the
 * original's format. The original is decoded once, to 500 px of raw pixels, and every size is
 * encoded from those pixels, which is both faster and sharper than re-encoding a re-encoded
 * image. Each thumbnail appears whole or not at all, so running twice is harmless.
 */
export async function makeThumbnails({ store, key }: Blob): Promise<void> {
  const original = await buffer(await store.read(key));
  let format: OutputFormat;
  let pixels: { data: Buffer; info: OutputInfo };
  try {
    format = outputFormat(await sharp(original).metadata());
    pixels = await sharp(original, { failOn: 'error' })
      .rotate()
      .resize({ width: THUMBNAIL_WIDTHS[0] })
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    if (error instanceof ThumbnailError) throw error;
    throw new ThumbnailError(`Cannot decode image: ${(error as Error).message}`);
  }
  const { width, height, channels } = pixels.info;
  for (const target of THUMBNAIL_WIDTHS) {
    const encoded = sharp(pixels.data, { raw: { width, height, channels } }).resize({ width: target }).toFormat(format);
    await store.write(thumbnailKey(key, target), encoded, { maxBytes: Number.POSITIVE_INFINITY });
  }
}
