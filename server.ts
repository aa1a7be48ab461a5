import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { createRouter } from './routes';
import { answerClientError } from './routes/clientErrors';
import { errorHandler, forwardedForWarning, unknownRoute } from './routes/middleware';
import { securityHeaders } from './routes/securityHeaders';
import { createWebRouter } from './routes/web';
import { closeClients, connectClients } from './utils/clients';
import { config } from './utils/config';
import { runMain, stopOnSignals } from './utils/lifecycle';
import { log } from './utils/log';

/** Builds the app from already-connected clients; does no I/O of its own. */
export function createApp(): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config().trustProxy);
  app.use(securityHeaders);
  app.use(forwardedForWarning());
  app.use(createWebRouter());
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
  server.on('clientError', answerClientError);
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
