import { ObjectId } from 'mongodb';
import { z } from 'zod';
import { FILE_TYPES, type FileType } from '../db';
import { badRequest, type HttpError, invalidParameters, invalidSignature, MESSAGES } from '../errors';
import { SIGNATURE_PATTERN } from '../auth/signing';
import { fieldsOf, validate } from '../validate';
import { THUMBNAIL_WIDTHS, type ThumbnailWidth } from '../storage/byteStore';
import type { ListRequest } from './listing';
import { decodeCursor, LIST_SORTS, type ListQuery } from './listQuery';
import { type Disposition, DISPOSITIONS, SIGNED_URL_DEFAULT_SECONDS, SIGNED_URL_MAX_SECONDS, type SignedOptions } from './signedUrls';

/**
 * Raw request values (JSON bodies, multipart fields, query strings) turned into typed ones.
 * The controllers call these; nothing below them sees an unchecked value. The schemas are
 * also what the OpenAPI document is generated from.
 */

export const PAGE_SIZE = 20;
/** What every common file system accepts for one name. */
export const MAX_NAME_BYTES = 255;

/** A folder to put something in: the root, an id to look up, or a value that names no folder at all. */
export type ParentRef = { kind: 'root' } | { kind: 'folder'; id: ObjectId } | { kind: 'none' };

/** A value whose error the contract orders after checks that need the database. */
export type Deferred<T> = { ok: true; value: T } | { ok: false; error: HttpError };

export const FileName = z
  .string({ error: MESSAGES.missingName })
  .min(1, { error: MESSAGES.missingName })
  // Control characters (NUL included) break headers and terminals; longer names break file systems.
  .refine((name) => Buffer.byteLength(name, 'utf8') <= MAX_NAME_BYTES && !/\p{Cc}/u.test(name), { error: MESSAGES.invalidName })
  .meta({ description: `1 to ${MAX_NAME_BYTES} UTF-8 bytes, no control characters` });

export const FileTypeInput = z.enum(FILE_TYPES, { error: MESSAGES.missingType });

export const ParentIdInput = z
  .union([z.literal(0), z.string(), z.null()])
  .meta({ description: 'A folder id; absent, 0, "0", "" or null for the root' });

export const IsPublicInput = z
  .union([z.boolean(), z.literal(0), z.literal(1), z.enum(['true', 'false', '1', '0'])])
  .meta({ description: 'true, false, "true", "false", 1, 0, "1" or "0"; absent or null means false' });

export const ObjectIdText = z.string().regex(/^[0-9a-fA-F]{24}$/);

/** The fields every upload form carries, checked in the contract's order. */
export const UploadFields = z.object({ name: FileName, type: FileTypeInput });

export const UploadQuery = UploadFields.extend({ parentId: ParentIdInput.optional(), isPublic: IsPublicInput.optional() });

export const UploadJson = UploadQuery.extend({
  data: z.string().meta({ contentEncoding: 'base64', description: 'The content, base64; required unless type is folder' }).nullable().optional(),
});

export const UploadMultipart = UploadQuery.extend({
  file: z.string().meta({ format: 'binary', description: 'One file part; its filename is the name when no name field is sent' }).optional(),
});

/**
 * `GET /files`: the folder and the page, as a query carries them. Read leniently, as the original
 * API is (parseListRequest): a value no client could mean falls back as described, never a 400.
 */
const ContractListQuery = z.object({
  parentId: z.string().optional().meta({ description: 'A folder id, or 0 for the root (the default); anything else lists nothing' }),
  page: z.string().optional().meta({ description: `From 0 (the default), \`limit\` items a page; anything that is not an integer ≥ 0 is page 0` }),
});

export const MAX_LIST_LIMIT = 1000;

/** The listing's newer parameters: unlike the contract's, a bad value is a 400 that names it. */
export const ListOptionsQuery = z.object({
  sort: z.enum(LIST_SORTS).optional().meta({ description: 'The order (name case-insensitive; a minus for descending; ties by id); absent: by id' }),
  type: z.enum(FILE_TYPES).optional().meta({ description: 'Only items of this type' }),
  q: z
    .string()
    .refine((q) => Buffer.byteLength(q, 'utf8') <= MAX_NAME_BYTES)
    .optional()
    .meta({ description: 'Only items whose name holds this text, in any case; empty: no filter' }),
  recursive: z.enum(['true', 'false']).optional().meta({ description: 'true: everything under the folder, not only its children' }),
  limit: z
    .string()
    .regex(/^[1-9]\d{0,3}$/)
    .refine((limit) => Number(limit) <= MAX_LIST_LIMIT)
    .optional()
    .meta({ description: `Items a page, 1 to ${MAX_LIST_LIMIT}; ${PAGE_SIZE} when absent` }),
  fields: z.enum(['all']).optional().meta({ description: 'all: also size, sha256 and createdAt' }),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,2048}$/)
    .optional()
    .meta({ description: 'The next page: from the Link header of the page before, which gives the other parameters too; not with page' }),
});

export const ListFilesQuery = ContractListQuery.extend(ListOptionsQuery.shape);

/** `GET /files/:id`: any other value of `fields` is ignored. */
export const ShowFileQuery = z.object({
  fields: z.enum(['all']).optional().meta({ description: 'all: also size, sha256 and createdAt' }),
});

export const FileChangesBody = z.strictObject({
  name: z.string().optional(),
  parentId: ParentIdInput.optional(),
  isPublic: IsPublicInput.optional(),
});

/** `POST /files/:id/url`. */
export const SignedUrlBody = z.strictObject({
  expiresIn: z
    .number()
    .int()
    .min(1)
    .max(SIGNED_URL_MAX_SECONDS)
    .optional()
    .meta({ description: `Seconds the URL works for, 1 to ${SIGNED_URL_MAX_SECONDS}; ${SIGNED_URL_DEFAULT_SECONDS} when absent` }),
  size: z
    .union(THUMBNAIL_WIDTHS.map((width) => z.literal(width)))
    .optional()
    .meta({ description: 'A thumbnail width: the URL serves that thumbnail' }),
  disposition: z.enum(DISPOSITIONS).optional().meta({ description: 'attachment: browsers save it instead of showing it' }),
});

/**
 * A signed URL's query, exactly as signDownload writes it: anything else in it (another
 * parameter, one twice, another spelling of a number) could only be a change, so it is 403.
 */
export const SignedQuery = z.strictObject({
  expires: z.string().regex(/^[1-9]\d{0,11}$/).meta({ description: 'Signed URLs only: when it expires, in Unix seconds' }),
  size: z.enum(THUMBNAIL_WIDTHS.map(String) as [string, ...string[]]).optional(),
  disposition: z.enum(DISPOSITIONS).optional().meta({ description: 'Signed URLs only: attachment has browsers save the content' }),
  signature: z.string().regex(new RegExp(`^${SIGNATURE_PATTERN}$`)).meta({ description: "Signed URLs only: HMAC-SHA256 of the method, path, expiry and options (base64url)" }),
});

export const ThumbnailSize = z.enum(THUMBNAIL_WIDTHS.map(String) as [string, ...string[]], { error: MESSAGES.invalidSize });

export interface UploadMetadata {
  name: string;
  type: FileType;
  parent: ParentRef;
  isPublic: Deferred<boolean>;
}

export interface FileChanges {
  name?: string;
  parent?: ParentRef;
  isPublic?: boolean;
}

/** A 24-digit hex id; anything else names no document. */
export function parseObjectId(value: unknown): ObjectId | null {
  return ObjectIdText.safeParse(value).success ? new ObjectId(value as string) : null;
}

export function parseParentRef(value: unknown): ParentRef {
  if (value === undefined || value === null || value === 0 || value === '0' || value === '') return { kind: 'root' };
  const id = parseObjectId(value);
  return id === null ? { kind: 'none' } : { kind: 'folder', id };
}

/** Reads one of the values IsPublicInput accepts. */
function isTrue(flag: z.output<typeof IsPublicInput>): boolean {
  return flag === true || flag === 1 || flag === 'true' || flag === '1';
}

/** Values a client means as true or false; anything else is answered, not guessed. */
export function parseIsPublic(value: unknown): Deferred<boolean> {
  if (value === undefined || value === null) return { ok: true, value: false };
  const flag = IsPublicInput.safeParse(value);
  return flag.success ? { ok: true, value: isTrue(flag.data) } : { ok: false, error: badRequest(MESSAGES.invalidIsPublic) };
}

/**
 * Name, type, then "Missing data" for a non-folder without content: the contract's first
 * checks. The parent and isPublic are parsed but judged later, after the database has spoken.
 */
export function parseUploadMetadata(fields: Record<string, unknown>, hasContent: boolean): UploadMetadata {
  const { name, type } = validate(UploadFields, fields);
  if (type !== 'folder' && !hasContent) throw badRequest(MESSAGES.missingData);
  return { name, type, parent: parseParentRef(fields.parentId), isPublic: parseIsPublic(fields.isPublic) };
}

export function parseSignedUrlRequest(body: unknown): { expiresIn: number; width?: ThumbnailWidth; disposition?: Disposition } {
  const { expiresIn = SIGNED_URL_DEFAULT_SECONDS, size, disposition } = parseOptionalFields(SignedUrlBody, body);
  return { expiresIn, width: size, disposition };
}

/** A signed URL's options and signature; undefined for a URL that is not one (no `signature` or `expires`). */
export function parseSignedQuery(query: Record<string, unknown>): { options: SignedOptions; signature: Buffer } | undefined {
  if (!('signature' in query) && !('expires' in query)) return undefined;
  const parsed = SignedQuery.safeParse(query);
  if (!parsed.success) throw invalidSignature();
  const { expires, size, disposition, signature } = parsed.data;
  const options: SignedOptions = { expires: Number(expires), width: size === undefined ? undefined : (Number(size) as ThumbnailWidth), disposition };
  return { options, signature: Buffer.from(signature, 'base64url') };
}

/** Page numbers are integers from 0; anything else is page 0. */
export function parsePage(value: unknown): number {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return 0;
  const page = Number(value);
  return Number.isSafeInteger(page * PAGE_SIZE) ? page : 0;
}

export interface ListFilesRequest extends ListRequest {
  allFields: boolean;
}

/** What both a cursor and the request say must agree; the request may leave out any of it. */
function disagreeing(given: ListQuery, explicit: ReadonlySet<string>, cursor: ListQuery): boolean {
  const sameParent =
    given.parent.kind === cursor.parent.kind && (given.parent.kind !== 'folder' || cursor.parent.kind !== 'folder' || given.parent.id.equals(cursor.parent.id));
  const checks: [string, boolean][] = [
    ['parentId', sameParent],
    ['sort', given.sort === cursor.sort],
    ['type', given.type === cursor.type],
    ['q', given.q === cursor.q],
    ['recursive', given.recursive === cursor.recursive],
  ];
  return checks.some(([name, same]) => explicit.has(name) && !same);
}

/** `GET /files`: the contract's parameters as it reads them, the newer ones checked, every bad one named. */
export function parseListRequest(query: Record<string, unknown>): ListFilesRequest {
  const shape: Record<string, z.ZodType> = ListOptionsQuery.shape;
  const newer = Object.keys(shape).filter((name) => query[name] !== undefined);
  // Each on its own: a bad one leaves the others read, so every bad one is named.
  const bad = new Set(newer.filter((name) => shape[name]?.safeParse(query[name]).success !== true));
  const options = ListOptionsQuery.parse(Object.fromEntries(newer.filter((name) => !bad.has(name)).map((name) => [name, query[name]])));
  const page = parsePage(query.page);
  const given: ListQuery = {
    parent: parseParentRef(query.parentId),
    sort: options.sort,
    type: options.type,
    q: options.q === undefined || options.q === '' ? undefined : options.q.toLowerCase(),
    recursive: options.recursive === 'true',
  };
  let request: ListRequest = { query: given, contract: newer.length === 0, limit: Number(options.limit ?? PAGE_SIZE), skip: 0 };
  if (options.cursor !== undefined) {
    const decoded = decodeCursor(options.cursor);
    const explicit = new Set(['parentId', ...newer].filter((name) => query[name] !== undefined && query[name] !== ''));
    if (decoded === null || disagreeing(given, explicit, decoded.query)) bad.add('cursor');
    else request = { ...request, query: decoded.query, after: decoded.position };
    if (query.page !== undefined) bad.add('page');
  }
  if (bad.size > 0) throw invalidParameters([...bad]);
  // A page past any listing's end stays past it, whatever the limit.
  const skip = Math.min(page * request.limit, Number.MAX_SAFE_INTEGER);
  return { ...request, skip, allFields: options.fields === 'all' };
}

export function wantsAllFields(query: Record<string, unknown>): boolean {
  return ShowFileQuery.safeParse(query).data?.fields === 'all';
}

export function parseThumbnailWidth(value: unknown): ThumbnailWidth | undefined {
  if (value === undefined) return undefined;
  return Number(validate(ThumbnailSize, value)) as ThumbnailWidth;
}

/**
 * A JSON body of optional fields (an absent body is none of them): unknown fields and wrong
 * types are named in one answer, `Unknown fields: a, b; Invalid fields: c`.
 */
export function parseOptionalFields<Schema extends z.ZodObject>(schema: Schema, body: unknown): z.output<Schema> {
  if (body !== undefined && fieldsOf(body) !== body) throw badRequest(MESSAGES.expectedObject);
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const unknown = result.error.issues.flatMap((issue) => (issue.code === 'unrecognized_keys' ? issue.keys : []));
  // One field may fail several checks (a date that is not one, and not in the future): named once.
  const invalid = [...new Set(result.error.issues.filter((issue) => issue.code !== 'unrecognized_keys').map((issue) => String(issue.path[0])))];
  const parts = [unknown.length > 0 ? `Unknown fields: ${unknown.join(', ')}` : '', invalid.length > 0 ? `Invalid fields: ${invalid.join(', ')}` : ''];
  throw badRequest(parts.filter(Boolean).join('; '));
}

/** `PATCH /files/:id`: parseOptionalFields, then the name's own rules, as on upload. */
export function parseFileChanges(body: unknown): FileChanges {
  const fields = parseOptionalFields(FileChangesBody, body);
  const { name, parentId, isPublic } = fields;
  const changes: FileChanges = {};
  if (name !== undefined) changes.name = validate(FileName, name);
  if ('parentId' in fields) changes.parent = parseParentRef(parentId);
  if (isPublic !== undefined) changes.isPublic = isTrue(isPublic);
  return changes;
}
