import type { RequestHandler } from 'express';
import type { Timeouts } from '../utils/config';
import { requestTimeout } from '../utils/errors';
import { hasBody } from '../controllers/request';
import { sendError } from './middleware';

/** How often a request's body rate is looked at. */
const CHECK_EVERY_MS = 1000;

/**
 * Apache mod_reqtimeout's `body=20,MinRate=500`: a body may take `bodyGraceSeconds`, and every
 * `bodyMinBytesPerSecond` bytes received buy it one more second. A body that falls behind gets
 * 408 and its connection is closed. The count comes from the socket, so the body stream itself
 * is left to whoever reads it.
 */
export function minimumBodyRate({ bodyGraceSeconds, bodyMinBytesPerSecond }: Timeouts): RequestHandler {
  return (req, res, next) => {
    if (!hasBody(req) || req.complete) {
      next();
      return;
    }
    const { socket } = req;
    const started = Date.now();
    const bytesAtStart = socket.bytesRead;
    const timer = setInterval(() => {
      if (req.complete || res.writableEnded || socket.destroyed) {
        clearInterval(timer);
        return;
      }
      const allowedMs = (bodyGraceSeconds + (socket.bytesRead - bytesAtStart) / bodyMinBytesPerSecond) * 1000;
      if (Date.now() - started <= allowedMs) return;
      clearInterval(timer);
      // Destroying the request fails whatever reads its body (an upload removes its partial
      // bytes) and closes the connection; Node has stopped feeding the body once the answer is out.
      if (res.headersSent) {
        req.destroy(requestTimeout());
        return;
      }
      sendError(res, requestTimeout());
      res.once('finish', () => req.destroy(requestTimeout()));
    }, CHECK_EVERY_MS);
    timer.unref();
    res.once('close', () => clearInterval(timer));
    next();
  };
}
