import path from 'node:path';
import { Router, type Response } from 'express';
import { openApiDocument } from './openapi';

/**
 * `/openapi.json` and `/docs`, a viewer of it (swagger-ui, from the package, so it works with no
 * network beyond this service). The viewer's own policy: its scripts and styles from here, the
 * inline styles swagger-ui sets on its elements, and nothing else.
 */
const DOCS_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Files Manager API</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css">
  </head>
  <body>
    <div id="ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`;

/** A file of its own: the policy allows no inline script. */
const INIT = `window.onload = () => { window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true }); };\n`;

const SWAGGER_UI = path.dirname(require.resolve('swagger-ui-dist/package.json'));

function withPolicy(res: Response): Response {
  return res.set('Content-Security-Policy', DOCS_CSP);
}

export function createDocsRouter(): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  router.get('/docs', (_req, res) => {
    withPolicy(res).type('html').send(PAGE);
  });
  router.get('/docs/init.js', (_req, res) => {
    withPolicy(res).type('js').send(INIT);
  });
  for (const asset of ['swagger-ui.css', 'swagger-ui-bundle.js']) {
    router.get(`/docs/${asset}`, (_req, res) => {
      withPolicy(res).sendFile(path.join(SWAGGER_UI, asset), { maxAge: '1h' });
    });
  }
  return router;
}
