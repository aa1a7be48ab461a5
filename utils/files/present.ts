import { ObjectId } from 'mongodb';
import { z } from 'zod';
import { FILE_TYPES, type FileDoc, type StoredParentId } from '../db';

/** The exact shape the contract returns for a file: ids as hex, never `_id` or `localPath`. */
export const PublicFileSchema = z.strictObject({
  id: z.string(),
  userId: z.string(),
  name: z.string(),
  type: z.enum(FILE_TYPES),
  isPublic: z.boolean(),
  parentId: z.union([z.literal(0), z.string()]).meta({ description: 'Echoed as stored: 0 (or "0") for the root, else the folder id' }),
});
export type PublicFile = z.infer<typeof PublicFileSchema>;

/** The public shape plus what `GET /files/:id?fields=all` adds. */
export const DetailedFileSchema = PublicFileSchema.extend({
  size: z.number().int().nullable(),
  sha256: z.string().nullable(),
  createdAt: z.string().nullable().meta({ format: 'date-time' }),
});
export type DetailedFile = z.infer<typeof DetailedFileSchema>;

/** An item of `GET /trash`: the public shape (its parentId where it was) plus when it went and when it goes for good. */
export const TrashedFileSchema = PublicFileSchema.extend({
  trashedAt: z.string().meta({ format: 'date-time' }),
  purgeAt: z.string().meta({ format: 'date-time' }),
});
export type TrashedFile = z.infer<typeof TrashedFileSchema>;

/** Echoes the stored parent as stored: 0 stays 0, "0" stays "0", an ObjectId becomes hex. */
function publicParentId(parentId: StoredParentId): 0 | string {
  return parentId instanceof ObjectId ? parentId.toHexString() : parentId;
}

export function toPublicFile(file: FileDoc): PublicFile {
  return {
    id: file._id.toHexString(),
    userId: file.userId.toHexString(),
    name: file.name,
    type: file.type,
    isPublic: file.isPublic === true,
    parentId: publicParentId(file.parentId),
  };
}

export function toDetailedFile(file: FileDoc): DetailedFile {
  return {
    ...toPublicFile(file),
    size: file.size ?? null,
    sha256: file.sha256 ?? null,
    createdAt: file.createdAt?.toISOString() ?? null,
  };
}

/** A trash root (it holds `trash`). */
export function toTrashedFile(file: FileDoc & Required<Pick<FileDoc, 'trash'>>): TrashedFile {
  return { ...toPublicFile(file), trashedAt: file.trash.at.toISOString(), purgeAt: file.trash.purgeAt.toISOString() };
}
