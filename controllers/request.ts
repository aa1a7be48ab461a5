import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'express';
import type { ObjectId } from 'mongodb';
import { config } from '../utils/config';
import type { UserDoc } from '../utils/db';
import type { UploadAccess } from '../utils/files/resumable/upload';
import { asAsked, type Place } from '../utils/files/upload/create';
import { isLinkToken } from '../utils/links/input';
import { dropInto, type LinkCredentials, openLink, type OpenedLink } from '../utils/links/links';

/** What a request carries, read the same way by the controllers and the middleware. */

declare module 'express-serve-static-core' {
  interface Locals {
    /** Set by `requireUser`. */
    user?: UserDoc;
    /** Set by `requireLink` and `requireDropFolder`. */
    link?: OpenedLink;
  }
}

/** The request's path for a log line: a shared link's token is as secret as a password, and never logged. */
export function loggedPath(req: IncomingMessage & { path?: string }): string {
  return (req.path ?? req.url ?? '').replace(/^\/s\/[^/]+/, '/s/…');
}

/** The cookie a browser keeps once it gave a link's password (LinksController.postSession); scoped to that link's path. */
export const LINK_SESSION_COOKIE = 'fm_link';

function linkSessionOf(req: IncomingMessage): string | undefined {
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const [name, value] = pair.trim().split('=', 2);
    if (name === LINK_SESSION_COOKIE && value !== undefined) return value;
  }
  return undefined;
}

/** Content-Length, when sent (Node has already refused a malformed one). */
export function declaredLength(req: IncomingMessage): number | undefined {
  const length = req.headers['content-length'];
  return length === undefined ? undefined : Number(length);
}

/** Whether a body follows the headers: a length over zero, or chunked. */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (declaredLength(req) ?? 0) > 0;
}

export function token(req: Request): string {
  return req.get('X-Token') ?? '';
}

/** The user `requireUser` authenticated; a route that forgot it fails loudly, not open. */
export function currentUser(res: Response): UserDoc {
  const { user } = res.locals;
  if (user === undefined) throw new Error('currentUser() on a route without requireUser');
  return user;
}

export function currentUserId(res: Response): ObjectId {
  return currentUser(res)._id;
}

/** The client's address: the socket's, or the one a trusted proxy reports (TRUST_PROXY). */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? '';
}

/** Where clients reach the service, for the absolute URLs it hands out: PUBLIC_URL, else the request's own scheme and host. */
export function publicBaseUrl(req: Request): string {
  return config().publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/**
 * The shared link of the path's `:token` (utils/links/links.ts): 404 unless it can be used, then
 * its password, from X-Link-Password or the browser's session cookie unless `credentials` are given.
 */
export function openRequestLink(req: Request, credentials?: LinkCredentials): Promise<OpenedLink> {
  const linkToken = isLinkToken(req.params.token) ? req.params.token : null;
  return openLink(linkToken, credentials ?? { password: req.get('X-Link-Password'), session: linkSessionOf(req) }, clientAddress(req));
}

/** The link `requireLink` opened; a route that forgot it fails loudly, not open. */
export function currentLink(res: Response): OpenedLink {
  const { link } = res.locals;
  if (link === undefined) throw new Error('currentLink() on a route without requireLink');
  return link;
}

/** Who uploads, and where to: a user into their own tree, or a visitor into a drop folder (`requireDropFolder`). */
export interface Uploader {
  owner: ObjectId;
  access: UploadAccess;
  place: Place;
  /** Where this uploader's resumable uploads live, for their `Location`. */
  uploadsUrl: string;
}

export function uploaderOf(req: Request, res: Response): Uploader {
  const { link } = res.locals;
  if (link !== undefined) {
    const owner = link.link.userId;
    return { owner, access: { owner, folder: link.target._id }, place: dropInto(link), uploadsUrl: `${publicBaseUrl(req)}/s/${link.link.token}/uploads` };
  }
  const owner = currentUserId(res);
  return { owner, access: { owner }, place: asAsked(owner), uploadsUrl: `${publicBaseUrl(req)}/uploads` };
}
