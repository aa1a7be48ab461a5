import { z } from 'zod';
import type { LinkDoc } from '../db';
import { DetailedFileSchema, toDetailedFile } from '../files/present';
import type { OpenedLink } from './links';

/** A link as its owner sees it; the URL is the only place its token appears. */
export const PublicLinkSchema = z.strictObject({
  id: z.string(),
  fileId: z.string(),
  url: z.string().meta({ description: '<base>/s/<token>: anyone with it reads the file or folder, within the limits below' }),
  expiresAt: z.string().nullable().meta({ format: 'date-time' }),
  maxDownloads: z.number().int().nullable(),
  downloads: z.number().int(),
  hasPassword: z.boolean(),
  allowUpload: z.boolean(),
  createdAt: z.string().meta({ format: 'date-time' }),
});
export type PublicLink = z.infer<typeof PublicLinkSchema>;

export function toPublicLink(link: LinkDoc, baseUrl: string): PublicLink {
  return {
    id: link._id.toHexString(),
    fileId: link.fileId.toHexString(),
    url: `${baseUrl}/s/${link.token}`,
    expiresAt: link.expiresAt?.toISOString() ?? null,
    maxDownloads: link.maxDownloads,
    downloads: link.downloads,
    hasPassword: link.passwordHash !== null,
    allowUpload: link.allowUpload,
    createdAt: link.createdAt.toISOString(),
  };
}

/** What a visitor learns of a link before using it: what it names, whether it takes uploads, until when. */
export const LinkInfoSchema = z.strictObject({
  file: DetailedFileSchema,
  allowUpload: z.boolean(),
  expiresAt: z.string().nullable().meta({ format: 'date-time' }),
});
export type LinkInfo = z.infer<typeof LinkInfoSchema>;

export function toLinkInfo({ link, target }: OpenedLink): LinkInfo {
  return { file: toDetailedFile(target), allowUpload: link.allowUpload, expiresAt: link.expiresAt?.toISOString() ?? null };
}
