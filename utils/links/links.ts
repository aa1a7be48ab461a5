import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ObjectId } from 'mongodb';
import { hashPassword, verifyPassword } from '../auth/passwords';
import { sign, SIGNATURE_PATTERN } from '../auth/signing';
import { beginLinkPasswordAttempt } from '../auth/throttle';
import type { FileDoc, LinkDoc } from '../db';
import { badRequest, MESSAGES, notFound, passwordRequired, serviceUnavailable } from '../errors';
import { PAGE_SIZE } from '../files/input';
import { getOwnedFile } from '../files/manage';
import { findFile, listChildren } from '../files/store';
import { isWithin, resolveParent } from '../files/tree';
import type { Place } from '../files/upload/create';
import { withRedisLock } from '../redisLock';
import type { LinkOptions } from './input';
import { addDownload, deleteOwnedLink, findLink, findLinkByToken, findLinksOfFile, insertLink } from './store';

/**
 * Shared links: a URL (/s/<token>) that lets anyone read one file, or one folder and everything
 * under it, without an account, until it expires, is revoked, runs out of downloads or its file
 * goes. A link that cannot be used is 404 whatever the reason, so it never says it existed.
 */

/** 192 bits from the CSPRNG, as 32 URL-safe characters. */
const TOKEN_BYTES = 24;

/** `POST /files/:id/links`: the owner's file or folder; allowUpload only on a folder. */
export async function createLink(owner: ObjectId, id: ObjectId | null, options: LinkOptions): Promise<LinkDoc> {
  const file = await getOwnedFile(owner, id);
  if (options.allowUpload && file.type !== 'folder') throw badRequest('Invalid fields: allowUpload');
  const link: LinkDoc = {
    _id: new ObjectId(),
    token: randomBytes(TOKEN_BYTES).toString('base64url'),
    fileId: file._id,
    userId: owner,
    expiresAt: options.expiresAt,
    passwordHash: options.password === null ? null : await hashPassword(options.password, 'scrypt'),
    maxDownloads: options.maxDownloads,
    downloads: 0,
    allowUpload: options.allowUpload,
    createdAt: new Date(),
  };
  await insertLink(link);
  return link;
}

export async function listLinks(owner: ObjectId, id: ObjectId | null): Promise<LinkDoc[]> {
  const file = await getOwnedFile(owner, id);
  return findLinksOfFile(owner, file._id);
}

/** `DELETE /links/:id`: at once, for every server (each request reads the link afresh). */
export async function revokeLink(owner: ObjectId, id: ObjectId | null): Promise<void> {
  if (id === null || !(await deleteOwnedLink(owner, id))) throw notFound();
}

/** A link a visitor may use, and the file or folder it names. */
export interface OpenedLink {
  link: LinkDoc;
  target: FileDoc;
}

function usable(link: LinkDoc, now: number): boolean {
  if (link.expiresAt !== null && link.expiresAt.getTime() <= now) return false;
  return link.maxDownloads === null || link.downloads < link.maxDownloads;
}

/** How a visitor proves they know a link's password: the password (X-Link-Password), or a browser's session cookie. */
export interface LinkCredentials {
  password?: string;
  session?: string;
}

/**
 * The link of `token`, if it can be used: 404 for any reason it cannot (unknown, expired,
 * revoked, out of downloads, its file gone), then 401 without its password or a session of it,
 * throttled per link and address as logins are.
 */
export async function openLink(token: string | null, credentials: LinkCredentials, address: string, now = Date.now()): Promise<OpenedLink> {
  const link = token === null ? null : await findLinkByToken(token);
  if (link === null || !usable(link, now)) throw notFound();
  const target = await findFile(link.fileId);
  if (target === null || !target.userId.equals(link.userId) || target.deleting === true) throw notFound();
  const { passwordHash } = link;
  if (passwordHash !== null && !(credentials.session !== undefined && (await validSession(link, passwordHash, credentials.session, now)))) {
    await checkPassword(link, passwordHash, credentials.password, address);
  }
  return { link, target };
}

/** A browser's proof of a link's password lasts this long: the cookie's Max-Age, and the limit signed into it. */
export const LINK_SESSION_SECONDS = 3600;

/** Signed with the deployment's key over the link and its password's hash, so it is worth nothing for any other link. */
function sessionText(link: LinkDoc, passwordHash: string, expires: number): string {
  return ['link-session', link._id.toHexString(), passwordHash, String(expires)].join('\n');
}

/**
 * What a browser keeps once its visitor gave the right password (an HttpOnly cookie), instead of
 * the password itself: `<expires>.<signature>`. Only for a link that has a password.
 */
export async function linkSession(link: LinkDoc, now = Date.now()): Promise<string | undefined> {
  if (link.passwordHash === null) return undefined;
  const expires = Math.floor(now / 1000) + LINK_SESSION_SECONDS;
  return `${expires}.${(await sign(sessionText(link, link.passwordHash, expires))).toString('base64url')}`;
}

/** `<expires>.<signature>`, each in its one spelling. */
const SESSION = new RegExp(`^([1-9]\\d{0,11})\\.(${SIGNATURE_PATTERN})$`);

async function validSession(link: LinkDoc, passwordHash: string, session: string, now: number): Promise<boolean> {
  const match = SESSION.exec(session);
  if (match?.[1] === undefined || match[2] === undefined) return false;
  const expires = Number(match[1]);
  if (expires * 1000 <= now) return false;
  const given = Buffer.from(match[2], 'base64url');
  const expected = await sign(sessionText(link, passwordHash, expires));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Passwords this server has checked right lately, as digests bound to the link's stored hash: a
 * visitor sends the password with every request (a folder's listing, then each file), and one
 * scrypt check costs about half a second of CPU. Wrong passwords are always checked, and throttled.
 */
const VERIFIED_TTL_MS = 10 * 60 * 1000;
const VERIFIED_MAX = 10_000;
const verified = new Map<string, number>();

function verifiedKey(stored: string, password: string): string {
  return createHash('sha256').update(stored).update('\n').update(password).digest('base64url');
}

function rememberVerified(key: string, now: number): void {
  // Oldest first: a Map iterates in insertion order.
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value ?? '');
  verified.delete(key);
  verified.set(key, now + VERIFIED_TTL_MS);
}

async function checkPassword(link: LinkDoc, stored: string, password: string | undefined, address: string): Promise<void> {
  const key = password === undefined ? undefined : verifiedKey(stored, password);
  if (key !== undefined && (verified.get(key) ?? 0) > Date.now()) return;
  const attempt = await beginLinkPasswordAttempt(link._id.toHexString(), address);
  if (password === undefined || key === undefined) {
    // A first visit that has not been asked yet is no wrong guess.
    await attempt.settle('not-checked');
    throw passwordRequired();
  }
  let right: boolean;
  try {
    right = await verifyPassword(password, stored);
  } catch (error) {
    await attempt.settle('not-checked').catch(() => undefined);
    throw error;
  }
  await attempt.settle(right ? 'success' : 'failure');
  if (!right) throw passwordRequired();
  rememberVerified(key, Date.now());
}

/** The link, if it is a drop folder's; 404 otherwise, as for any link that cannot do what is asked. */
export function asDropFolder(opened: OpenedLink): OpenedLink {
  if (!opened.link.allowUpload || opened.target.type !== 'folder') throw notFound();
  return opened;
}

/**
 * Where a drop folder's uploads go: into the folder, whatever parent they name, private, as the
 * owner's files. Files only: a visitor makes no folders in someone else's tree.
 */
export function dropInto({ link, target }: OpenedLink): Place {
  return async (upload) => {
    if (upload.type === 'folder') throw badRequest(MESSAGES.missingType);
    return { parentId: await resolveParent(link.userId, { kind: 'folder', id: target._id }), isPublic: false };
  };
}

/** What a folder's link shows: its own children, or those of a folder under it. A drop folder shows nothing. */
export async function listShared({ link, target }: OpenedLink, folder: ObjectId | null, page: number): Promise<FileDoc[]> {
  if (target.type !== 'folder' || link.allowUpload) return [];
  const listed = folder === null ? target : await sharedItem({ link, target }, folder);
  if (listed.type !== 'folder') return [];
  return listChildren(link.userId, listed._id, page * PAGE_SIZE, PAGE_SIZE);
}

/** The linked file or folder itself, or anything under a linked folder; nothing else, and nothing of a drop folder. */
export async function sharedItem({ link, target }: OpenedLink, id: ObjectId | null): Promise<FileDoc> {
  if (id === null || link.allowUpload) throw notFound();
  if (id.equals(target._id)) return target;
  if (target.type !== 'folder') throw notFound();
  const item = await findFile(id);
  if (item === null || !item.userId.equals(link.userId) || !(await isWithin(link.userId, item._id, target._id))) throw notFound();
  return item;
}

/** A download waits this long for others of the same link to be counted. */
const COUNT_WAIT_MS = 5_000;

/**
 * Counts a download of content through the link when it is a complete one (from byte 0; HEAD,
 * 304 and thumbnails never get here), or 404 when the link has none left. Read and written under
 * the link's lock, so concurrent downloads on any number of servers never count past the limit.
 */
export async function countSharedDownload(link: LinkDoc, firstByte: number): Promise<void> {
  if (firstByte !== 0) return;
  await withRedisLock({ keys: [`link_lock_${link._id.toHexString()}`, 'link_fence'], waitMs: COUNT_WAIT_MS, busy: serviceUnavailable }, async (lock) => {
    const current = await findLink(link._id);
    if (current === null || !usable(current, Date.now())) throw notFound();
    await lock.assertHeld();
    await addDownload(link._id);
  });
}
