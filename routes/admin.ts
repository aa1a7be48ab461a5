import { timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Router, type RequestHandler } from 'express';
import { unauthorized } from '../utils/errors';
import { queues } from '../utils/queues';

export const ADMIN_PATH = '/admin/queues';

/**
 * bull-board's UI sets inline styles and a configuration script of its own, so its page gets a
 * policy of its own; it is only ever served to the holder of ADMIN_TOKEN.
 */
const ADMIN_CSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/** A browser asks for Basic credentials after this; any user name goes with the token as password. */
const CHALLENGE = { 'WWW-Authenticate': 'Basic realm="files-manager admin", charset="UTF-8"' } as const;

function sameSecret(given: string, expected: string): boolean {
  const [a, b] = [Buffer.from(given), Buffer.from(expected)];
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token from `X-Admin-Token`, `Authorization: Bearer`, or the password of `Authorization: Basic`. */
function presentedToken(header: string | undefined, adminHeader: string | undefined): string | undefined {
  if (adminHeader !== undefined) return adminHeader;
  const [scheme = '', value = ''] = (header ?? '').split(' ', 2);
  if (scheme.toLowerCase() === 'bearer') return value;
  if (scheme.toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

function requireAdmin(token: string): RequestHandler {
  return (req, res, next) => {
    const presented = presentedToken(req.get('Authorization'), req.get('X-Admin-Token'));
    if (presented === undefined || !sameSecret(presented, token)) throw unauthorized(CHALLENGE);
    res.set('Content-Security-Policy', ADMIN_CSP);
    next();
  };
}

/** `/admin/queues`: the thumbnail and welcome queues in bull-board (waiting, active, failed with their errors, retry). */
export function createAdminRouter(token: string): Router {
  const board = new ExpressAdapter();
  board.setBasePath(ADMIN_PATH);
  createBullBoard({ queues: [queues.fileQueue, queues.userQueue, queues.upkeepQueue].map((queue) => new BullAdapter(queue)), serverAdapter: board });
  const router = Router();
  router.use(ADMIN_PATH, requireAdmin(token), board.getRouter() as RequestHandler);
  return router;
}
