/**
 * Where the app is, kept in the URL's hash (`#/` the root, `#/f/<id>` a folder, `#/trash`), so
 * that Back, Forward, a reload and a URL sent to someone land in the same place. A hash never
 * reaches the server, and it holds ids only: the token stays out of every URL.
 */
import type { FolderId } from './api.js';

export type Route = { view: 'files'; folderId: FolderId } | { view: 'trash' };

const FOLDER = /^#\/f\/([^/?#]+)$/;

export function currentRoute(): Route {
  if (location.hash === '#/trash') return { view: 'trash' };
  const folder = FOLDER.exec(location.hash)?.[1];
  // Anything else (no hash, `#/`, a hash of an older version) is the root.
  return { view: 'files', folderId: folder === undefined ? 0 : decodeURIComponent(folder) };
}

export function routeHash(route: Route): string {
  if (route.view === 'trash') return '#/trash';
  return route.folderId === 0 || route.folderId === '0' ? '#/' : `#/f/${encodeURIComponent(route.folderId)}`;
}

let changed: () => void = () => undefined;

/** `handler` runs on every change of route: a navigation of the app's, Back, Forward, an edited URL. */
export function onRouteChange(handler: () => void): void {
  changed = handler;
  window.addEventListener('hashchange', () => changed());
}

/** Goes to `route` as a new history entry; asked for the route already shown, shows it again. */
export function navigate(route: Route): void {
  const hash = routeHash(route);
  if (location.hash === hash || (hash === '#/' && location.hash === '')) changed();
  else location.hash = hash;
}

/** Shows `route` in place of the current entry, e.g. a folder that could not be opened, so Back does not return to it. */
export function replaceRoute(route: Route): void {
  history.replaceState(history.state, '', routeHash(route));
}
