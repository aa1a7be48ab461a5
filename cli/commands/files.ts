/** ls, mkdir, mv, rename, rm: the tree, by names from the root or by ids (remote.ts). */
import type { Api } from '../api';
import { loggedIn, print } from '../context';
import { CliError, EXIT_USAGE } from '../errors';
import { formatSize, table } from '../format';
import { childPath, createFolder, ensureFolder, isFolder, type ListQuery, listFolder, namedChildren, NotFoundError, type Place, resolve, resolveFolder, ROOT_ID, splitPath } from '../remote';

export async function ls(url: string, spec: string, options: { json: boolean; sort: ListQuery['sort'] }): Promise<void> {
  const api = await loggedIn(url);
  const place = await resolve(api, spec);
  const items = place.item === undefined || place.item.type === 'folder' ? await listFolder(api, place.id, { sort: options.sort }) : [place.item];
  if (options.json) {
    print(JSON.stringify(items, null, 2));
    return;
  }
  const rows = items.map((item) => [item.name, item.type, item.size === null ? '-' : formatSize(item.size), item.isPublic ? 'yes' : 'no', item.id]);
  print(table(['NAME', 'TYPE', 'SIZE', 'PUBLIC', 'ID'], rows));
}

/** A path's folder and last name; `what` says which command needs a name there. */
function parentAndName(spec: string, what: string): { parent: string; name: string } {
  const names = splitPath(spec);
  const name = names.pop();
  if (name === undefined) throw new CliError(`${what} needs a path with a name, not "${spec}"`, EXIT_USAGE);
  return { parent: `/${names.join('/')}`, name };
}

export async function mkdir(url: string, specs: readonly string[], parents: boolean): Promise<void> {
  const api = await loggedIn(url);
  for (const spec of specs) {
    if (parents) {
      await ensureFolder(api, spec, (made) => print(`Created ${made.path}`));
      continue;
    }
    const { parent, name } = parentAndName(spec, 'mkdir');
    const folder = await resolveFolder(api, parent);
    if ((await namedChildren(api, folder, name)).length > 0) throw new CliError(`Already exists: ${childPath(folder.path, name)} (mkdir -p accepts an existing folder)`);
    print(`Created ${(await createFolder(api, folder, name)).path}`);
  }
}

function checkName(name: string): void {
  // The service would take it, but no path could name it afterwards.
  if (name.includes('/')) throw new CliError(`A name cannot hold "/": "${name}"`, EXIT_USAGE);
}

async function patch(api: Api, place: Place, body: { name?: string; parentId?: string }): Promise<void> {
  await api.call(api.client.PATCH('/files/{id}', { params: { path: { id: place.id } }, body }));
}

function notRoot(place: Place, what: string): Place {
  if (place.id === ROOT_ID) throw new CliError(`Cannot ${what} the root`, EXIT_USAGE);
  return place;
}

/**
 * As mv(1): into an existing folder, or, for one source, to a new name in an existing folder.
 * Every name is resolved before anything moves, so an ambiguous one changes nothing.
 */
export async function mv(url: string, sources: readonly string[], destination: string): Promise<void> {
  const api = await loggedIn(url);
  const moving: Place[] = [];
  for (const source of sources) moving.push(notRoot(await resolve(api, source), 'move'));
  let target: Place | undefined;
  try {
    target = await resolve(api, destination);
  } catch (error) {
    if (!(error instanceof NotFoundError && error.final)) throw error;
  }
  if (target !== undefined) {
    if (!isFolder(target)) throw new CliError(`Already exists and is not a folder: ${target.path}`);
    for (const place of moving) {
      await patch(api, place, { parentId: target.id });
      print(`Moved ${place.path} into ${target.path}`);
    }
    return;
  }
  const [only] = moving;
  if (only === undefined || moving.length > 1) throw new NotFoundError('No such folder', destination, false);
  const { parent, name } = parentAndName(destination, 'mv');
  checkName(name);
  const folder = await resolveFolder(api, parent);
  await patch(api, only, { parentId: folder.id, name });
  print(`Moved ${only.path} to ${childPath(folder.path, name)}`);
}

export async function rename(url: string, spec: string, name: string): Promise<void> {
  checkName(name);
  const api = await loggedIn(url);
  const place = notRoot(await resolve(api, spec), 'rename');
  await patch(api, place, { name });
  print(`Renamed ${place.path} to ${name}`);
}

/** To the trash; every name is resolved first, so an ambiguous one deletes nothing. */
export async function rm(url: string, specs: readonly string[]): Promise<void> {
  const api = await loggedIn(url);
  const places: Place[] = [];
  for (const spec of specs) places.push(notRoot(await resolve(api, spec), 'remove'));
  for (const place of places) {
    await api.send(api.client.DELETE('/files/{id}', { params: { path: { id: place.id } } }));
    print(`Moved to the trash: ${place.path} (${place.id})`);
  }
}
