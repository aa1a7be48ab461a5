/** trash (list, restore, empty) and usage. */
import type { Api, TrashedItem } from '../api';
import { loggedIn, print } from '../context';
import { CliError } from '../errors';
import { formatSize, table } from '../format';

/** GET /trash pages hold 20 items: a shorter page is the last. */
const TRASH_PAGE = 20;

async function trashItems(api: Api): Promise<TrashedItem[]> {
  const items: TrashedItem[] = [];
  for (let page = 0; ; page += 1) {
    const batch = await api.call(api.client.GET('/trash', { params: { query: { page: String(page) } } }));
    items.push(...batch);
    if (batch.length < TRASH_PAGE) return items;
  }
}

export async function listTrash(url: string, json: boolean): Promise<void> {
  const items = await trashItems(await loggedIn(url));
  if (json) {
    print(JSON.stringify(items, null, 2));
    return;
  }
  const day = (iso: string): string => iso.slice(0, 10);
  print(table(['NAME', 'TYPE', 'TRASHED', 'PURGED ON', 'ID'], items.map((item) => [item.name, item.type, day(item.trashedAt), day(item.purgeAt), item.id])));
}

/** Trashed items are out of every path: they are named by id, or by their name in the trash's listing. */
function pick(items: readonly TrashedItem[], spec: string): TrashedItem {
  const byId = items.find((item) => item.id === spec);
  if (byId !== undefined) return byId;
  const named = items.filter((item) => item.name === spec);
  const [only] = named;
  if (only === undefined) throw new CliError(`Not in the trash: ${spec} (files-manager trash lists it)`);
  if (named.length > 1) {
    const rows = named.map((item) => [item.id, item.type, item.trashedAt]);
    throw new CliError(`"${spec}" is ambiguous: ${named.length} items of the trash have that name. Name the one you mean by its id:\n${table(['ID', 'TYPE', 'TRASHED'], rows)}`);
  }
  return only;
}

export async function restore(url: string, specs: readonly string[]): Promise<void> {
  const api = await loggedIn(url);
  const items = await trashItems(api);
  const chosen = specs.map((spec) => pick(items, spec));
  for (const item of chosen) {
    const restored = await api.call(api.client.POST('/trash/{id}/restore', { params: { path: { id: item.id } } }));
    const where = restored.parentId === 0 || restored.parentId === '0' ? 'the root' : `folder ${restored.parentId}`;
    print(`Restored ${restored.name} (${restored.id}) to ${where}`);
  }
}

export async function emptyTrash(url: string): Promise<void> {
  const api = await loggedIn(url);
  await api.send(api.client.DELETE('/trash'));
  print('Emptied the trash');
}

export async function usage(url: string, json: boolean): Promise<void> {
  const api = await loggedIn(url);
  const figures = await api.call(api.client.GET('/users/me/usage'));
  if (json) {
    print(JSON.stringify(figures));
    return;
  }
  const of = figures.quota === null ? '(no quota)' : `of ${formatSize(figures.quota)} (${Math.round((figures.used / Math.max(figures.quota, 1)) * 100)}%)`;
  print(`Used ${formatSize(figures.used)} ${of}; ${formatSize(figures.trash)} in the trash; ${figures.files} files`);
}
