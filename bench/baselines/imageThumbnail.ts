import fs from 'node:fs/promises';
import imageThumbnail from 'image-thumbnail';

const WIDTHS = [500, 250, 100] as const;

/**
 * What most implementations of this service's worker do: image-thumbnail once per width,
 * the three in parallel, each result written beside the original as `<path>_<width>`.
 */
export async function imageThumbnailThree(localPath: string): Promise<void> {
  await Promise.all(
    WIDTHS.map(async (width) => fs.writeFile(`${localPath}_${width}`, await imageThumbnail(localPath, { width }))),
  );
}
