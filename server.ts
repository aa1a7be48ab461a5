import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { createRouter } from './routes';
import { createAdminRouter } from './routes/admin';
import { createDocsRouter } from './routes/docs';
import { answerClientError } from './routes/clientErrors';
import { errorHandler, forwardedForWarning, unknownRoute } from './routes/middleware';
import { securityHeaders } from './routes/securityHeaders';
import { lingeringClose } from './routes/lingeringClose';
import { minimumBodyRate } from './routes/timeouts';
import { createWebRouter } from './routes/web';
import { closeClients, connectClients } from './utils/clients';
import { config } from './utils/config';
import { runMain, stopOnSignals } from './utils/lifecycle';
import { log } from './utils/log';

/** Builds the app from already-connected clients; does no I/O of its own. */
export function createApp(): Express {
  const app = express();
  app.disable('x-powered-by');
  // API answers are dynamic and private; file content sets its own, strong validators.
  app.set('etag', false);
  // Without a validator no JSON answer can be fresh, yet Express would answer any of them with 304
  // to `If-None-Match: *`, which the API does not promise. Downloads judge their own conditions
  // (controllers/conditional.ts) and static files theirs (send), neither through req.fresh.
  Object.defineProperty(app.request, 'fresh', { configurable: true, get: () => false });
  app.set('trust proxy', config().trustProxy);
  app.use(securityHeaders);
  app.use(forwardedForWarning());
  app.use(minimumBodyRate(config().timeouts));
  app.use(lingeringClose());
  // The API first: its requests are the many, and each router passed on the way costs them.
  app.use(createRouter());
  app.use(createWebRouter());
  app.use(createDocsRouter());
  const { adminToken } = config();
  if (adminToken !== undefined) app.use(createAdminRouter(adminToken));
  app.use(unknownRoute);
  app.use(errorHandler);
  return app;
}

/** Stops accepting connections, lets in-flight requests finish, and resolves once all are done. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Idle keep-alive sockets would otherwise hold close() open until they time out.
    server.closeIdleConnections();
    // Node arms this timeout when a response ends: a connection busy now is dropped as soon as
    // its response is done instead of idling for the default 5 s.
    server.keepAliveTimeout = 1;
  });
}

/**
 * Slow clients get what trusted servers give them: headers within HEADERS_TIMEOUT_SECONDS
 * (checked every second, not Node's default 30), bodies at a minimum rate (routes/timeouts.ts)
 * instead of one deadline for the whole request, which would cut a large upload on a slow
 * link, and idle keep-alive connections closed after KEEP_ALIVE_TIMEOUT_SECONDS.
 */
export async function startServer(port: number): Promise<Server> {
  const { headersSeconds, keepAliveSeconds } = config().timeouts;
  const server = createServer(
    { headersTimeout: headersSeconds * 1000, requestTimeout: 0, keepAliveTimeout: keepAliveSeconds * 1000, connectionsCheckingInterval: 1000 },
    createApp(),
  );
  server.on('clientError', answerClientError);
  server.listen(port);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve).once('error', reject);
  });
  return server;
}

async function main(): Promise<void> {
  const { port } = config();
  await connectClients();
  const server = await startServer(port);
  log.info(`Server running on port ${(server.address() as AddressInfo).port}`);
  stopOnSignals('server', async () => {
    await closeServer(server);
    await closeClients();
  });
}

if (require.main === module) runMain('server', main);
