import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { createRouter } from './routes';
import { errorHandler, unknownRoute } from './routes/middleware';
import { config, loadConfig, useConfig } from './utils/config';
import { runMain, stopOnSignals } from './utils/lifecycle';
import { log } from './utils/log';
import { closeClients, connectClients } from './utils/services';
import { sweepPartialFiles } from './utils/storage';

/** Builds the app from already-connected clients; does no I/O of its own. */
export function createApp(): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(
    helmet({
      // A JSON API loads nothing; downloads set their own, stricter policy.
      contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
      // Public files are meant to be embedded by other sites.
      crossOriginResourcePolicy: { policy: 'cross-origin' },
    }),
  );
  app.use(createRouter(config().uploadMaxBytes));
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

export async function startServer(port: number): Promise<Server> {
  const server = createApp().listen(port);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve).once('error', reject);
  });
  return server;
}

async function main(): Promise<void> {
  useConfig(loadConfig());
  await connectClients();
  await sweepPartialFiles();
  const server = await startServer(config().port);
  log.info(`Server running on port ${(server.address() as AddressInfo).port}`);
  stopOnSignals('server', async () => {
    await closeServer(server);
    await closeClients();
  });
}

if (require.main === module) runMain('server', main);
