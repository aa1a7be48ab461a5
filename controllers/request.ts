import type { Request, Response } from 'express';
import type { UserDoc } from '../utils/db';

/** Helpers for reading what a request carries, shared by the controllers and the middleware. */

declare module 'express-serve-static-core' {
  interface Locals {
    /** Set by `requireUser`, or by `identifyUser` when the token is valid. */
    user?: UserDoc;
  }
}

export function token(req: Request): string | undefined {
  return req.get('X-Token');
}

/** The user `requireUser` authenticated; a route that forgot it fails loudly, not open. */
export function currentUser(res: Response): UserDoc {
  const { user } = res.locals;
  if (user === undefined) throw new Error('currentUser() on a route without requireUser');
  return user;
}

/** A JSON body as a plain object; anything else (no body, an array) reads as no fields. */
export function bodyFields(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

