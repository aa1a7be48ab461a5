import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { userForToken } from '../utils/auth/tokens';
import { loggedPath, openRequestLink, token } from '../controllers/request';
import { config } from '../utils/config';
import { HttpError, isServiceOutage, MESSAGES, methodNotAllowed, notFound, serviceUnavailable, unauthorized } from '../utils/errors';
import { log } from '../utils/log';
import { TUS_VERSION, unsupportedTusVersion } from '../utils/files/resumable/protocol';
import { asDropFolder } from '../utils/links/links';
import { allowedMethods } from './allowedMethods';

/** 401 unless X-Token names an existing `auth_<token>` key whose user still exists. */
export const requireUser: RequestHandler = async (req, res, next) => {
  const user = await userForToken(token(req));
  if (!user) throw unauthorized();
  res.locals.user = user;
  next();
};

/** The shared link of `:token`, for anyone with it: 404 unless it can be used, then its password or session. */
export const requireLink: RequestHandler = async (req, res, next) => {
  res.locals.link = await openRequestLink(req);
  next();
};

/** requireLink, for a drop folder's link only: what a visitor's uploads go through. */
export const requireDropFolder: RequestHandler = async (req, res, next) => {
  res.locals.link = asDropFolder(await openRequestLink(req));
  next();
};

/**
 * A browser opening a link's URL (it asks for HTML before anything else) gets the web app's page
 * for links (routes/web.ts), which asks the API for the rest; every other client, the API.
 */
export const pageForBrowsers: RequestHandler = (req, _res, next) => {
  next(req.accepts(['application/json', 'text/html']) === 'text/html' ? 'router' : undefined);
};

/** Sends a request without Tus-Resumable on to the path's next route: one path, two upload protocols. */
export const tusOnly: RequestHandler = (req, _res, next) => {
  next(req.get('Tus-Resumable') === undefined ? 'route' : undefined);
};

/** The tus protocol's version is on every answer of /uploads, and every request but OPTIONS must speak it. */
export const tusResumable: RequestHandler = (req, res, next) => {
  res.set('Tus-Resumable', TUS_VERSION);
  if (req.method !== 'OPTIONS' && req.get('Tus-Resumable') !== TUS_VERSION) throw unsupportedTusVersion();
  next();
};

export function jsonBody(limitBytes: number): RequestHandler {
  return express.json({ limit: limitBytes });
}

/**
 * Last in line: 405 when a route answers this path with other methods, else 404. Routes run
 * their authentication only for their own method, so neither answer depends on X-Token.
 */
export const unknownRoute: RequestHandler = (req) => {
  const allowed = allowedMethods(req.app.router, req.path);
  // A route that matched this method and passed the request on has nothing here: 404.
  if (allowed.length > 0 && !allowed.includes(req.method)) throw methodNotAllowed(allowed);
  throw notFound();
};

/**
 * Behind a reverse proxy every client has the proxy's address unless TRUST_PROXY says whose
 * X-Forwarded-For to believe; throttling would then lock out everyone at once. Said once.
 */
export function forwardedForWarning(): RequestHandler {
  let warned = false;
  return (req, _res, next) => {
    if (!warned && req.headers['x-forwarded-for'] !== undefined && config().trustProxy === false) {
      warned = true;
      log.warn('requests arrive with X-Forwarded-For but TRUST_PROXY is not set: every client counts as the proxy\'s address');
    }
    next();
  };
}

/** Errors raised by Express itself and body-parser carry `status` and `type`. */
interface FrameworkError {
  status?: unknown;
  type?: unknown;
}

export const STATUS_MESSAGES: Readonly<Record<number, string>> = {
  400: MESSAGES.badRequest,
  404: MESSAGES.notFound,
  408: MESSAGES.requestTimeout,
  412: MESSAGES.preconditionFailed,
  413: MESSAGES.payloadTooLarge,
  415: MESSAGES.unsupportedMediaType,
  416: MESSAGES.rangeNotSatisfiable,
  431: MESSAGES.headersTooLarge,
};

function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (isServiceOutage(error)) return serviceUnavailable();
  const { status, type } = (typeof error === 'object' && error !== null ? error : {}) as FrameworkError;
  if (type === 'entity.parse.failed') return new HttpError(400, MESSAGES.invalidJson);
  if (typeof status === 'number' && status >= 400 && status < 500) return new HttpError(status, STATUS_MESSAGES[status] ?? MESSAGES.badRequest);
  return undefined;
}

/** Headers that describe a file, dropped when an error is sent instead of it. */
const CONTENT_HEADERS = ['Content-Disposition', 'ETag', 'Last-Modified', 'Accept-Ranges', 'Content-Range'];

/**
 * The only place that writes an error body. The body is JSON about this request, not a file:
 * it must not be saved under a file's name, validated against its tag, or kept by any cache
 * (a thumbnail still to come).
 */
export function sendError(res: Response, { status, message, headers }: HttpError): void {
  for (const header of CONTENT_HEADERS) res.removeHeader(header);
  res.status(status).set({ 'Cache-Control': 'no-store', ...headers }).json({ error: message });
}

export const errorHandler: ErrorRequestHandler = (error: unknown, req: Request, res: Response, _next: NextFunction) => {
  const httpError = toHttpError(error);
  if (httpError === undefined) log.error(`${req.method} ${loggedPath(req)} failed`, error);
  if (res.headersSent) {
    // Too late for a status: cut the connection so the client sees a truncated response.
    if (!res.writableEnded) res.destroy();
    return;
  }
  sendError(res, httpError ?? new HttpError(500, MESSAGES.internalError));
};
