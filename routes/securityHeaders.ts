import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet's headers for a JSON API, worked out once: every response carries them, including
 * the ones Node writes itself for requests it rejects before Express sees them.
 */
const policy = helmet({
  // A JSON API loads nothing; downloads and the web app set their own policies.
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  // Public files are meant to be embedded by other sites.
  crossOriginResourcePolicy: { policy: 'cross-origin' },
});

function computeHeaders(): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => {
      headers[name] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name];
    },
  };
  // helmet only sets headers and calls next, synchronously; a recorder stands in for the response.
  policy({} as never, recorder as never, () => undefined);
  return Object.freeze(headers);
}

export const SECURITY_HEADERS = computeHeaders();

export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set(SECURITY_HEADERS);
  next();
};
