/** share, links, unshare, url: shared links and signed URLs of a file or folder. */
import type { Link } from '../api';
import { loggedIn, note, print } from '../context';
import { CliError } from '../errors';
import { formatSize, parseDuration, table } from '../format';
import { resolve } from '../remote';
import { askSecret } from '../secrets';

export interface ShareOptions {
  expires?: string;
  password: boolean;
  maxDownloads?: number;
  upload: boolean;
  json: boolean;
}

function describe(link: Link): string {
  const limits = [
    link.expiresAt === null ? 'no expiry' : `expires ${link.expiresAt}`,
    link.maxDownloads === null ? `${link.downloads} downloads` : `${link.downloads} of ${link.maxDownloads} downloads`,
    link.hasPassword ? 'password' : 'no password',
  ];
  if (link.allowUpload) limits.push('drop folder: takes uploads, shows nothing');
  return limits.join(', ');
}

/** The URL goes alone to standard output, for `LINK=$(files-manager share …)`; what it is, to standard error. */
export async function share(url: string, spec: string, options: ShareOptions): Promise<void> {
  const expiresAt = options.expires === undefined ? undefined : new Date(Date.now() + parseDuration(options.expires) * 1000).toISOString();
  const api = await loggedIn(url);
  const place = await resolve(api, spec);
  if (place.item === undefined) throw new CliError('The root cannot be shared: share a folder in it');
  const password = options.password ? await askSecret('FM_LINK_PASSWORD', 'Password for the link') : undefined;
  const body = {
    ...(expiresAt === undefined ? {} : { expiresAt }),
    ...(password === undefined ? {} : { password }),
    ...(options.maxDownloads === undefined ? {} : { maxDownloads: options.maxDownloads }),
    ...(options.upload ? { allowUpload: true } : {}),
  };
  const link = await api.call(api.client.POST('/files/{id}/links', { params: { path: { id: place.id } }, body }));
  if (options.json) {
    print(JSON.stringify(link, null, 2));
    return;
  }
  note(`Link ${link.id} to ${place.path}: ${describe(link)}`);
  print(link.url);
}

export async function links(url: string, spec: string, json: boolean): Promise<void> {
  const api = await loggedIn(url);
  const place = await resolve(api, spec);
  if (place.item === undefined) throw new CliError('The root has no links');
  const found = await api.call(api.client.GET('/files/{id}/links', { params: { path: { id: place.id } } }));
  if (json) {
    print(JSON.stringify(found, null, 2));
    return;
  }
  const rows = found.map((link) => [
    link.id,
    link.expiresAt ?? 'never',
    link.maxDownloads === null ? String(link.downloads) : `${link.downloads}/${link.maxDownloads}`,
    link.hasPassword ? 'yes' : 'no',
    link.allowUpload ? 'yes' : 'no',
    link.url,
  ]);
  print(table(['ID', 'EXPIRES', 'DOWNLOADS', 'PASSWORD', 'DROP', 'URL'], rows));
}

export async function unshare(url: string, linkIds: readonly string[]): Promise<void> {
  const api = await loggedIn(url);
  for (const id of linkIds) {
    await api.send(api.client.DELETE('/links/{id}', { params: { path: { id } } }));
    print(`Revoked link ${id}`);
  }
}

/** A URL of the file's content that works with no token until it expires, alone on standard output. */
export async function signedUrl(url: string, spec: string, expires: string): Promise<void> {
  const expiresIn = parseDuration(expires);
  const api = await loggedIn(url);
  const place = await resolve(api, spec);
  if (place.item === undefined || place.item.type === 'folder') throw new CliError(`Only a file has a signed URL, not the folder ${place.path} (share it instead)`);
  const signed = await api.call(api.client.POST('/files/{id}/url', { params: { path: { id: place.id } }, body: { expiresIn } }));
  note(`${place.path} (${formatSize(place.item.size ?? 0)}), until ${signed.expiresAt}`);
  print(signed.url);
}
