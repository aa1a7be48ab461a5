import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'express';
import type { ObjectId } from 'mongodb';
import { config } from '../utils/config';
import type { UserDoc } from '../utils/db';

/** What a request carries, read the same way by the controllers and the middleware. */

declare module 'express-serve-static-core' {
  interface Locals {
    /** Set by `requireUser`. */
    user?: UserDoc;
  }
}

/** Whether a body follows the headers: a length over zero, or chunked. */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
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
