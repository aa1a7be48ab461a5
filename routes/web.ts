import { existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import express, { type Request, Router, type Response } from 'express';

/**
 * The browser app's own policy. The API's `default-src 'none'` would stop the page from loading
 * its script and styles; this one allows exactly those from this origin, images from this origin
 * (thumbnails and previews load from signed URLs) and data: (the empty favicon), and requests to
 * this origin only.
 */
export const WEB_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export const NOT_BUILT_MESSAGE = 'Web app not built: run npm run build:web';

/** web/ next to the sources under ts-node, two levels up from dist/routes/ once compiled. */
function findWebRoot(): string {
  const candidates = [path.resolve(__dirname, '..', 'web'), path.resolve(__dirname, '..', '..', 'web')];
  return candidates.find((candidate) => existsSync(path.join(candidate, 'index.html'))) ?? (candidates[0] as string);
}

/**
 * tus-js-client's browser build (a UMD bundle defining the global `tus`), taken from
 * node_modules wherever the server runs from (ts-node or dist/) rather than copied into web/.
 * Served under /assets like the app's own files, so the CSP's script-src 'self' covers it.
 */
const TUS_BUNDLE = require.resolve('tus-js-client/dist/tus.min.js');

/** The app's files are small and whole: a Range header is ignored rather than answered 206 or 416. */
const SEND_OPTIONS = { acceptRanges: false } as const;

function setWebHeaders(res: Response): void {
  res.set({
    'Content-Security-Policy': WEB_CSP,
    // Revalidate every time (ETag / Last-Modified make that cheap), so a rebuild shows at once.
    'Cache-Control': 'no-cache',
  });
}

/**
 * Serves the browser app: `/` is web/index.html, `/s/<token>` (for a browser: the API answers
 * every other client there) web/share.html, the page of a shared link; `/assets/*` their
 * stylesheet, compiled modules and the upload library.
 */
export function createWebRouter(webRoot: string = findWebRoot()): Router {
  const distDir = path.join(webRoot, 'dist');
  const router = Router();

  const page = (html: string, script: string) => async (_req: Request, res: Response) => {
    const built = await access(path.join(distDir, script)).then(
      () => true,
      () => false,
    );
    if (!built) {
      res.status(503).json({ error: NOT_BUILT_MESSAGE });
      return;
    }
    setWebHeaders(res);
    res.sendFile(path.join(webRoot, html), SEND_OPTIONS);
  };
  router.get('/', page('index.html', 'main.js'));
  router.get('/s/:token', page('share.html', 'share.js'));

  router.get('/assets/app.css', (_req, res) => {
    setWebHeaders(res);
    res.sendFile(path.join(webRoot, 'app.css'), SEND_OPTIONS);
  });

  router.get('/assets/tus.min.js', (_req, res) => {
    setWebHeaders(res);
    res.sendFile(TUS_BUNDLE, SEND_OPTIONS);
  });
  // The bundle names its source map; only developer tools ever ask for it.
  router.get('/assets/tus.min.js.map', (_req, res) => {
    setWebHeaders(res);
    res.sendFile(`${TUS_BUNDLE}.map`, SEND_OPTIONS);
  });

  // Only the compiled modules: web/src, tsconfig.json and the like are never served.
  router.use(
    '/assets',
    express.static(distDir, {
      ...SEND_OPTIONS,
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      setHeaders: (res) => setWebHeaders(res),
    }),
  );
  return router;
}
