import { ObjectId, type Filter, type Sort } from 'mongodb';
import { z } from 'zod';
import { FILE_TYPES, type FileDoc, type FileType, type StoredParentId } from '../db';
import type { ParentRef } from './input';

/**
 * What `GET /files` lists and in which order, as MongoDB queries, and the cursor that carries a
 * listing from one page to the next. Pure: utils/files/listing.ts runs the queries, and
 * tests/integration/listing.test.ts checks each shape against the indexes of utils/db.ts.
 */

export const LIST_SORTS = ['name', '-name', 'size', '-size', 'createdAt', '-createdAt'] as const;
export type ListSort = (typeof LIST_SORTS)[number];

/** What to list: a folder's children, or (`recursive`) everything under it. */
export interface ListQuery {
  parent: ParentRef;
  sort?: ListSort;
  type?: FileType;
  /** Lower case, non-empty. */
  q?: string;
  recursive: boolean;
}

export type SortField = 'nameKey' | 'size' | 'createdAt' | '_id';
/** A document's value of the sort field: null when it has none (a folder's size). */
export type SortKey = string | number | Date | null;

export interface Order {
  field: SortField;
  direction: 1 | -1;
}

/** Where the last page ended, and when the listing began (the names it goes by are the names then). */
export interface ListPosition {
  key: SortKey;
  id: ObjectId;
  since: Date;
}

const FIELDS: Record<string, SortField> = { name: 'nameKey', size: 'size', createdAt: 'createdAt' };

/** Without `sort`, id order: the contract's. */
export function orderOf(sort: ListSort | undefined): Order {
  if (sort === undefined) return { field: '_id', direction: 1 };
  const descending = sort.startsWith('-');
  return { field: FIELDS[descending ? sort.slice(1) : sort] ?? '_id', direction: descending ? -1 : 1 };
}

export function sortSpec({ field, direction }: Order): Sort {
  return field === '_id' ? { _id: direction } : { [field]: direction, _id: direction };
}

/** A document's key in `order`, as the database compares it (a missing field is null). */
export function keyOf(file: FileDoc, { field }: Order): SortKey {
  return field === '_id' ? null : (file[field] ?? null);
}

/**
 * The items after `position` in `order`, ties broken by id. Null sorts before every value, as in
 * MongoDB; a range on a value matches values of its own type only, so null is spelled out.
 */
export function afterFilter({ field, direction }: Order, { key, id }: Pick<ListPosition, 'key' | 'id'>): Filter<FileDoc> {
  const beyond = direction === 1 ? '$gt' : '$lt';
  if (field === '_id') return { _id: { [beyond]: id } };
  const sameKey = { [field]: key, _id: { [beyond]: id } };
  if (key === null) return direction === 1 ? { $or: [sameKey, { [field]: { $ne: null } }] } : sameKey;
  const branches: Filter<FileDoc>[] = [{ [field]: { [beyond]: key } }, sameKey];
  if (direction === -1) branches.push({ [field]: null });
  return { $or: branches };
}

function compareKeys(a: SortKey, b: SortKey): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  // Strings as the database compares them: by their UTF-8 bytes, not JavaScript's UTF-16 units.
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return Number(a) - Number(b);
}

/** Sorts entries the way `sortSpec(order)` sorts documents. */
export function compareEntries(order: Order, a: { key: SortKey; id: ObjectId }, b: { key: SortKey; id: ObjectId }): number {
  const byKey = order.field === '_id' ? 0 : compareKeys(a.key, b.key);
  return order.direction * (byKey !== 0 ? byKey : Buffer.compare(a.id.id, b.id.id));
}

/** Characters a regular expression reads as operators, escaped: `q` is a plain substring. */
function substringPattern(q: string): string {
  return q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The items of these folders (each in every form its id is stored in). */
export const inFolders = (forms: readonly StoredParentId[]): Filter<FileDoc> => ({ parentId: { $in: [...forms] } });

/** The items of any folder but these: a whole tree from the root, less the folders in the trash. */
export const notInFolders = (forms: readonly StoredParentId[]): Filter<FileDoc> => ({ parentId: { $nin: [...forms] } });

/**
 * What a listing matches where `scope` (inFolders or notInFolders) says: the owner's, not in the
 * trash, of the type, holding the text. The type is always an equality or an `$in`, which the
 * indexes put before the sort key.
 */
export function matchOf(owner: ObjectId, scope: Filter<FileDoc>, { type, q }: Pick<ListQuery, 'type' | 'q'>): Filter<FileDoc> {
  return {
    userId: owner,
    ...scope,
    type: type ?? { $in: [...FILE_TYPES] },
    trashedBy: { $exists: false },
    ...(q === undefined ? {} : { nameKey: { $regex: substringPattern(q) } }),
  };
}

export interface Read {
  filter: Filter<FileDoc>;
  sort: Sort;
}

/**
 * The reads of a page of what `match` matches: in order from the position; and by name after a
 * cursor, apart, the items renamed since the listing began (the index gives the others in order).
 */
export function pageReads(match: Filter<FileDoc>, order: Order, after?: ListPosition): { inOrder: Read; renamed?: Read } {
  if (after === undefined) return { inOrder: { filter: match, sort: sortSpec(order) } };
  const position = afterFilter(order, after);
  if (order.field !== 'nameKey') return { inOrder: { filter: { ...match, ...position }, sort: sortSpec(order) } };
  return {
    inOrder: { filter: { ...match, renamedAt: { $not: { $gt: after.since } }, ...position }, sort: sortSpec(order) },
    renamed: { filter: { ...match, renamedAt: { $gt: after.since } }, sort: { _id: 1 } },
  };
}

/** The cursor's JSON: short names, as it travels in every URL of a listing. */
const CursorPayload = z.strictObject({
  p: z.union([z.literal(0), z.string().regex(/^[0-9a-f]{24}$/)]),
  s: z.enum(LIST_SORTS).optional(),
  t: z.enum(FILE_TYPES).optional(),
  q: z.string().min(1).optional(),
  r: z.literal(true).optional(),
  k: z.union([z.string(), z.number(), z.null()]),
  i: z.string().regex(/^[0-9a-f]{24}$/),
  at: z.number().int().nonnegative(),
});

/** Opaque to clients: base64url of the query and the position, so a cursor alone is the next page. */
export function encodeCursor(query: ListQuery, position: ListPosition): string {
  if (query.parent.kind === 'none') throw new Error('A listing of nothing has no next page');
  const payload: z.input<typeof CursorPayload> = {
    p: query.parent.kind === 'root' ? 0 : query.parent.id.toHexString(),
    s: query.sort,
    t: query.type,
    q: query.q,
    r: query.recursive ? true : undefined,
    k: position.key instanceof Date ? position.key.getTime() : position.key,
    i: position.id.toHexString(),
    at: position.since.getTime(),
  };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/** The query and position a cursor holds, or null for anything encodeCursor did not write. */
export function decodeCursor(cursor: string): { query: ListQuery; position: ListPosition } | null {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const parsed = CursorPayload.safeParse(json);
  if (!parsed.success) return null;
  const { p, s, t, q, r, k, i, at } = parsed.data;
  const query: ListQuery = { parent: p === 0 ? { kind: 'root' } : { kind: 'folder', id: new ObjectId(p) }, sort: s, type: t, q, recursive: r === true };
  const { field } = orderOf(s);
  const key = field === 'createdAt' && typeof k === 'number' ? new Date(k) : k;
  // A key of another type than the field's would make the range match nothing, or the wrong items.
  const expected = { nameKey: 'string', size: 'number', createdAt: 'object', _id: 'object' }[field];
  if (key !== null && typeof key !== expected) return null;
  const since = new Date(at);
  // Numbers past the range of dates make invalid ones, which no comparison would place.
  if (Number.isNaN(since.getTime()) || (key instanceof Date && Number.isNaN(key.getTime()))) return null;
  return { query, position: { key, id: new ObjectId(i), since } };
}

/**
 * The query string of the page after `position`: the cursor, which holds the rest, and the
 * rest spelled out too, so the URL reads as what it lists.
 */
export function nextPageQuery(request: { query: ListQuery; limit: number; allFields: boolean }, position: ListPosition): string {
  const { parent, sort, type, q, recursive } = request.query;
  const params = new URLSearchParams();
  params.set('parentId', parent.kind === 'folder' ? parent.id.toHexString() : '0');
  if (sort !== undefined) params.set('sort', sort);
  if (type !== undefined) params.set('type', type);
  if (q !== undefined) params.set('q', q);
  if (recursive) params.set('recursive', 'true');
  params.set('limit', String(request.limit));
  if (request.allFields) params.set('fields', 'all');
  params.set('cursor', encodeCursor(request.query, position));
  return params.toString();
}
