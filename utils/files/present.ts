import { ObjectId } from 'mongodb';
import type { FileDoc, FileType, StoredParentId } from '../db';

/** The exact shape the contract returns for a file: ids as hex, never `_id` or `localPath`. */
export interface PublicFile {
  id: string;
  userId: string;
  name: string;
  type: FileType;
  isPublic: boolean;
  parentId: 0 | string;
}

/** The public shape plus what `GET /files/:id?fields=all` adds. */
export interface DetailedFile extends PublicFile {
  size: number | null;
  sha256: string | null;
  createdAt: string | null;
}

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
