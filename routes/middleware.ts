import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { userForToken } from '../utils/auth';
import { token } from '../controllers/request';
import { HttpError, isServiceOutage, notFound, serviceUnavailable, unauthorized } from '../utils/errors';
import { log } from '../utils/log';

/** 401 unless X-Token names an existing `auth_<token>` key whose user still exists. */
export const requireUser: RequestHandler = async (req, res, next) => {
  const user = await userForToken(token(req));
  if (!user) throw unauthorized();
  res.locals.user = user;
  next();
};

/** Like requireUser, for endpoints that anonymous callers may use too. */
export const identifyUser: RequestHandler = async (req, res, next) => {
  res.locals.user = (await userForToken(token(req))) ?? undefined;
  next();
};

export function jsonBody(limitBytes: number): RequestHandler {
  return express.json({ limit: limitBytes });
}

export const unknownRoute: RequestHandler = () => {
  throw notFound();
};

/** Errors raised by Express itself and body-parser carry `status` and `type`. */
interface FrameworkError {
  status?: unknown;
  type?: unknown;
  /** send's 416 carries the Content-Range the client needs. */
  headers?: Record<string, string>;
}

const FRAMEWORK_MESSAGES: Record<number, string> = {
  400: 'Bad request',
  404: 'Not found',
  412: 'Precondition failed',
  413: 'Payload too large',
  415: 'Unsupported media type',
  416: 'Range not satisfiable',
};

function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (isServiceOutage(error)) return serviceUnavailable();
  const { status, type, headers } = (typeof error === 'object' && error !== null ? error : {}) as FrameworkError;
  if (type === 'entity.parse.failed') return new HttpError(400, 'Invalid JSON');
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new HttpError(status, FRAMEWORK_MESSAGES[status] ?? 'Bad request', headers);
  }
  return undefined;
}

/** The only place that writes an error body. */
export const errorHandler: ErrorRequestHandler = (error: unknown, req: Request, res: Response, next: NextFunction) => {
  const httpError = toHttpError(error);
  if (httpError === undefined) log.error(`${req.method} ${req.path} failed`, error);
  if (res.headersSent) {
    // Too late for a status: end the connection so the client sees a truncated response.
    next(error);
    return;
  }
  const { status, message, headers } = httpError ?? new HttpError(500, 'Internal server error');
  res.status(status).set(headers).json({ error: message });
};
