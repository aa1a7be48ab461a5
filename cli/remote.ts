/**
 * Naming things on the service: a path of names from the root (`/Holidays 2026/beach.jpg`, the
 * leading slash optional) or an id (24 hex digits). The service lets two items of one folder share
 * a name, so a name can point at several: then nothing is done, and the candidates' ids are listed.
 */
import { type Api, detailed, type FileItem } from './api';
import { CliError } from './errors';
import { formatSize, table } from './format';

/** The root's id, as parentId has it. */
export const ROOT_ID = '0';
const ID = /^[0-9a-f]{24}$/;
/** Largest page the service gives (GET /files `limit`). */
const PAGE_SIZE = '1000';

/** A place on the service: the root (no `item`) or a file or folder. */
export interface Place {
  id: string;
  /** As the user named it, or the names from the root when they were walked. */
  path: string;
  item?: FileItem;
}

export const ROOT: Place = { id: ROOT_ID, path: '/' };

export const isFolder = (place: Place): boolean => place.item === undefined || place.item.type === 'folder';

export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

export interface ListQuery {
  q?: string;
  recursive?: boolean;
  sort?: 'name' | '-name' | 'size' | '-size' | 'createdAt' | '-createdAt';
}

/** The cursor of the next page, from `Link: <…&cursor=…>; rel="next"`. */
function nextCursor(link: string | null): string | undefined {
  const match = link === null ? null : /<([^>]*)>\s*;\s*rel="next"/.exec(link);
  return match?.[1] === undefined ? undefined : (new URL(match[1]).searchParams.get('cursor') ?? undefined);
}

/** Every item of a folder (or, recursive, under it), with size and SHA-256, page after page by cursor. */
export async function listFolder(api: Api, folderId: string, query: ListQuery = {}): Promise<FileItem[]> {
  const items: FileItem[] = [];
  let cursor: string | undefined;
  do {
    const params = {
      parentId: folderId,
      limit: PAGE_SIZE,
      fields: 'all' as const,
      sort: query.sort ?? 'name',
      ...(query.q === undefined ? {} : { q: query.q }),
      ...(query.recursive === true ? { recursive: 'true' as const } : {}),
      ...(cursor === undefined ? {} : { cursor }),
    };
    const pending = api.client.GET('/files', { params: { query: params } });
    const page = await api.call(pending);
    items.push(...page.map(detailed));
    cursor = nextCursor((await pending).response.headers.get('link'));
  } while (cursor !== undefined);
  return items;
}

/** Nothing has that name: for commands such as mv, where that is an answer rather than a failure. */
export class NotFoundError extends CliError {
  /** `final`: only the last name is missing; the folder it would be in exists. */
  constructor(
    what: string,
    readonly path: string,
    readonly final: boolean,
  ) {
    super(`${what}: ${path}`);
    this.name = 'NotFoundError';
  }
}

export class AmbiguousError extends CliError {
  constructor(path: string, candidates: readonly FileItem[]) {
    const rows = candidates.map((item) => [item.id, item.type, item.size === null ? '-' : formatSize(item.size), item.createdAt ?? '']);
    super(`"${path}" is ambiguous: ${candidates.length} items have that name. Name the one you mean by its id:\n${table(['ID', 'TYPE', 'SIZE', 'CREATED'], rows)}`);
    this.name = 'AmbiguousError';
  }
}

/** The children of `parent` named exactly `name`. */
export async function namedChildren(api: Api, parent: Place, name: string): Promise<FileItem[]> {
  // `q` narrows the listing on the server (any case, any part of the name); the exact name is picked here.
  return (await listFolder(api, parent.id, { q: name })).filter((item) => item.name === name);
}

/**
 * The folder named `name` in `parent`, or undefined when there is none; AmbiguousError when
 * there are several, and an error when the name is a file's only.
 */
export async function findFolder(api: Api, parent: Place, name: string): Promise<FileItem | undefined> {
  return pickFolder(childPath(parent.path, name), await namedChildren(api, parent, name));
}

/** Of the items named as `path` ends, the one folder, or undefined when none is; several: AmbiguousError. */
export function pickFolder(path: string, named: readonly FileItem[]): FileItem | undefined {
  const folders = named.filter((item) => item.type === 'folder');
  if (folders.length > 1) throw new AmbiguousError(path, folders);
  if (folders.length === 0 && named.length > 0) throw new CliError(`Not a folder: ${path}`);
  return folders[0];
}

export function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

async function byId(api: Api, id: string): Promise<Place> {
  const item = detailed(await api.call(api.client.GET('/files/{id}', { params: { path: { id }, query: { fields: 'all' } } })));
  return { id: item.id, path: id, item };
}

/** The place `spec` names; throws when there is none, or several. */
export async function resolve(api: Api, spec: string): Promise<Place> {
  if (ID.test(spec)) return byId(api, spec);
  let place = ROOT;
  const names = splitPath(spec);
  for (const [index, name] of names.entries()) {
    const last = index === names.length - 1;
    const path = childPath(place.path, name);
    let item: FileItem | undefined;
    if (last) {
      const named = await namedChildren(api, place, name);
      if (named.length > 1) throw new AmbiguousError(path, named);
      item = named[0];
    } else {
      item = await findFolder(api, place, name);
    }
    if (item === undefined) throw new NotFoundError(last ? 'No such file or folder' : 'No such folder', path, last);
    place = { id: item.id, path, item };
  }
  return place;
}

export async function resolveFolder(api: Api, spec: string): Promise<Place> {
  let place: Place;
  try {
    place = await resolve(api, spec);
  } catch (error) {
    if (error instanceof NotFoundError && error.final) throw new NotFoundError('No such folder', error.path, true);
    throw error;
  }
  if (!isFolder(place)) throw new CliError(`Not a folder: ${place.path}`);
  return place;
}

/** Creates a folder in `parent`; returns it as a place. */
export async function createFolder(api: Api, parent: Place, name: string): Promise<Place> {
  const created = await api.call(api.client.POST('/files', { body: { name, type: 'folder', parentId: parent.id } }));
  const item: FileItem = { ...created, size: null, sha256: null, createdAt: null };
  return { id: item.id, path: childPath(parent.path, name), item };
}

/** The folder `spec` names, made with every missing folder on the way (mkdir -p); `made` hears of each one made. */
export async function ensureFolder(api: Api, spec: string, made: (folder: Place) => void = () => undefined): Promise<Place> {
  if (ID.test(spec)) return resolveFolder(api, spec);
  let place = ROOT;
  for (const name of splitPath(spec)) {
    const found = await findFolder(api, place, name);
    if (found === undefined) {
      place = await createFolder(api, place, name);
      made(place);
    } else {
      place = { id: found.id, path: childPath(place.path, name), item: found };
    }
  }
  return place;
}
