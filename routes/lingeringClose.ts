import type { RequestHandler } from 'express';

/** How much of an unread body the server swallows after an early answer, and for how long. */
export interface LingerLimits {
  maxMs: number;
  maxBytes: number;
}

export const LINGER_LIMITS: LingerLimits = { maxMs: 5000, maxBytes: 10 * 1024 * 1024 };

/**
 * nginx's lingering close. An answer sent before the body is read (401 before an upload, 413,
 * a body rejected halfway) leaves the client still sending. A socket closed on unread bytes
 * resets the connection, and a client that sends its whole body before reading the answer
 * (or whose reset arrives first) sees EPIPE or ECONNRESET instead of it; a reader that gave up
 * leaves the body paused, so even a keep-alive connection stalls until its idle timeout cuts it.
 * So the rest of the body is read and thrown away until it ends (a keep-alive connection stays
 * usable) or `maxBytes` more arrive or `maxMs` pass, whichever is first; then the connection
 * closes, so a client that never stops costs a bounded amount.
 */
export function lingeringClose({ maxMs, maxBytes }: LingerLimits = LINGER_LIMITS): RequestHandler {
  return (req, res, next) => {
    // Before Node's own 'finish' listener, which closes a `Connection: close` answer's socket.
    res.prependOnceListener('finish', () => {
      if (req.complete || req.destroyed) return;
      const { socket } = req;
      let closeWhenDone = false;
      // Node's way of closing once the answer is out; for this connection it waits for the discard.
      socket.destroySoon = () => {
        closeWhenDone = true;
      };
      let discarded = 0;
      const done = (cutOff: boolean) => {
        clearTimeout(timer);
        req.off('data', onData).off('end', ended).off('close', closed);
        Reflect.deleteProperty(socket, 'destroySoon');
        if (cutOff) socket.destroy();
        else if (closeWhenDone) socket.destroySoon();
      };
      const onData = (chunk: Buffer) => {
        discarded += chunk.length;
        if (discarded > maxBytes) done(true);
      };
      const ended = () => done(false);
      const closed = () => done(!req.complete);
      const timer = setTimeout(() => done(true), maxMs);
      // A lingering connection is no reason to keep a stopping process alive.
      timer.unref();
      req.on('data', onData).once('end', ended).once('close', closed);
      // A reader that gave up may have unpiped or paused the body; nothing else reads it now.
      req.resume();
    });
    next();
  };
}
