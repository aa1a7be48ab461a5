import type { Filter, ObjectId } from 'mongodb';
import type { FileDoc, NameChange } from '../db';
import { invalidParameters } from '../errors';
import type { ParentRef } from './input';
import {
  compareEntries,
  inFolders,
  keyOf,
  type ListPosition,
  type ListQuery,
  matchOf,
  notInFolders,
  type Order,
  orderOf,
  pageReads,
  type SortKey,
} from './listQuery';
import { findFolders, findListed, findOwnedFile, listChildren, nameKeyOf, parentForms, parentObjectId, ROOT, type FileUpdate, type FolderEntry } from './store';

/**
 * `GET /files` beyond the contract's pages: sorted, filtered, searched, and paged by cursor.
 *
 * A cursor is a position in the order (the last item's key and id), so following cursors gives
 * each item once, whatever is added or deleted before or after it meanwhile. Keys never change
 * but names: a listing by name orders every item by its name when the listing began (its
 * `since`), which each file keeps in `renames` for as long as a cursor lives.
 */

/** How long a cursor of a listing by name works; names are remembered that long after a rename. */
export const CURSOR_LIFETIME_MS = 24 * 60 * 60 * 1000;

export interface ListRequest {
  query: ListQuery;
  /** Only the contract's parameters: its listing exactly, an aggregation by id. */
  contract: boolean;
  limit: number;
  /** Items to pass over (page × limit), for offset pages. */
  skip: number;
  after?: ListPosition;
}

export interface ListPage {
  items: FileDoc[];
  /** Where the next page starts, while more remain. */
  next?: ListPosition;
}

/**
 * The folder a listing names, looked up, not taken on trust (the files of a folder in the trash
 * are in it, unmarked); null when it names no live folder of the owner's.
 */
async function listedFolder(owner: ObjectId, parent: ParentRef): Promise<ObjectId | typeof ROOT | null> {
  if (parent.kind === 'none') return null;
  if (parent.kind === 'root') return ROOT;
  const folder = await findOwnedFile(owner, parent.id);
  return folder?.type === 'folder' ? folder._id : null;
}

/** Live folders by the folder they are in, from one read of them all. */
function liveFoldersByParent(folders: readonly FolderEntry[]): Map<string, ObjectId[]> {
  const byParent = new Map<string, ObjectId[]>();
  for (const folder of folders) {
    if (folder.trashedBy !== undefined) continue;
    const parent = parentObjectId(folder.parentId)?.toHexString() ?? 'root';
    byParent.set(parent, [...(byParent.get(parent) ?? []), folder._id]);
  }
  return byParent;
}

/**
 * Where the items may be: the folder itself, or with `recursive` every live folder under it,
 * found in one read of the owner's folders (FerretDB scans: one read, whatever the depth). Null
 * when the parent names no live folder of the owner's. The files in a trashed folder are not
 * marked: under the root, a recursive listing leaves out the folders the trash holds.
 */
async function scopeOf(owner: ObjectId, { parent, recursive }: ListQuery): Promise<Filter<FileDoc> | null> {
  const folder = await listedFolder(owner, parent);
  if (folder === null) return null;
  if (!recursive) return inFolders(parentForms(folder));
  const folders = await findFolders(owner);
  if (folder === ROOT) return notInFolders(folders.filter((entry) => entry.trashedBy !== undefined).flatMap((entry) => parentForms(entry._id)));
  const byParent = liveFoldersByParent(folders);
  const within: ObjectId[] = [];
  const seen = new Set<string>();
  for (let next: ObjectId[] = [folder]; next.length > 0; ) {
    const fresh = next.filter((id) => !seen.has(id.toHexString()));
    for (const id of fresh) seen.add(id.toHexString());
    within.push(...fresh);
    next = fresh.flatMap((id) => byParent.get(id.toHexString()) ?? []);
  }
  return inFolders(within.flatMap((id) => parentForms(id)));
}

/** The name key a file had at `since`: the first one it gave up after then, or the one it has. */
function nameKeyAt(file: FileDoc, since: Date): SortKey {
  const change = file.renamedAt !== undefined && file.renamedAt > since ? file.renames?.find((entry) => entry.until > since) : undefined;
  return change?.key ?? file.nameKey ?? null;
}

/**
 * One more than a page, from where the request starts, in its order. By name after a cursor, the
 * items renamed since the listing began (few) are merged in, each at its old name's place.
 */
async function findPage(owner: ObjectId, { query, contract, limit, skip, after }: ListRequest, order: Order): Promise<FileDoc[]> {
  const take = limit + 1;
  if (contract) {
    const folder = await listedFolder(owner, query.parent);
    return folder === null ? [] : listChildren(owner, folder, skip, take);
  }
  const scope = await scopeOf(owner, query);
  if (scope === null) return [];
  const reads = pageReads(matchOf(owner, scope, query), order, after);
  const inOrder = await findListed(reads.inOrder.filter, reads.inOrder.sort, after === undefined ? skip : 0, take);
  if (reads.renamed === undefined || after === undefined) return inOrder;
  const since = after.since;
  const renamed = (await findListed(reads.renamed.filter, reads.renamed.sort, 0, 0))
    .map((file) => ({ file, key: nameKeyAt(file, since), id: file._id }))
    .filter((entry) => compareEntries(order, entry, after) > 0);
  // A rename between the two reads shows an item in both, at the same place: it is kept once.
  const listed = new Set(inOrder.map((file) => file._id.toHexString()));
  return [...inOrder.map((file) => ({ file, key: keyOf(file, order), id: file._id })), ...renamed.filter((entry) => !listed.has(entry.id.toHexString()))]
    .sort((a, b) => compareEntries(order, a, b))
    .slice(0, take)
    .map((entry) => entry.file);
}

export async function listFiles(owner: ObjectId, request: ListRequest): Promise<ListPage> {
  const { limit, after } = request;
  const order = orderOf(request.query.sort);
  const since = after?.since ?? new Date();
  if (order.field === 'nameKey' && Date.now() - since.getTime() > CURSOR_LIFETIME_MS) throw invalidParameters(['cursor (expired)']);
  const found = await findPage(owner, request, order);
  const items = found.slice(0, limit);
  const last = items.at(-1);
  if (found.length <= limit || last === undefined) return { items };
  const key = order.field === 'nameKey' ? nameKeyAt(last, since) : keyOf(last, order);
  return { items, next: { key, id: last._id, since } };
}

/**
 * Names a file remembers at most: a client renaming one file in a loop must not grow its document
 * past what the database takes. Past this, a listing that began before the oldest kept rename
 * places that one file by a later name.
 */
const MAX_RENAMES_KEPT = 100;

/** What a rename writes besides the name: the old key, kept while a cursor may still go by it. */
export function renameChanges(file: FileDoc, name: string, now = new Date()): FileUpdate {
  if (name === file.name) return {};
  const kept = (file.renames ?? []).filter((entry) => now.getTime() - entry.until.getTime() < CURSOR_LIFETIME_MS).slice(1 - MAX_RENAMES_KEPT);
  const change: NameChange = { key: file.nameKey ?? nameKeyOf(file.name), until: now };
  return { name, renamedAt: now, renames: [...kept, change] };
}
