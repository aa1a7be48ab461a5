import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { appEnv, startServerProcess, startWorkerProcess } from '../../scripts/lib/processes';
import { freePort, startServices } from '../../scripts/lib/services';
import { cliHarness, removeTempDirs, setCliHarness } from './kit';

/**
 * Mocha global fixtures of the CLI tier: real services (or those TEST_DB_URL / TEST_REDIS_URL
 * name), and the server and the worker as processes on a private database and folder, as a user's
 * `npm run dev` runs them. The CLI talks to them over HTTP only.
 */
export async function mochaGlobalSetup(): Promise<void> {
  const services = await startServices({ prefix: 'TEST_' });
  const folderPath = mkdtempSync(path.join(os.tmpdir(), 'files-manager-cli-'));
  const port = await freePort();
  const env = appEnv({ port, dbUrl: services.dbUrl, dbName: `files_manager_cli_${randomBytes(4).toString('hex')}`, redisUrl: services.redisUrl, folderPath });
  const baseUrl = `http://127.0.0.1:${port}`;
  const [server, worker] = await Promise.all([startServerProcess(baseUrl, { env }), startWorkerProcess({ env })]);
  setCliHarness({ baseUrl, services, env, folderPath, processes: [server, worker] });
}

export async function mochaGlobalTeardown(): Promise<void> {
  const { services, env, folderPath, processes } = cliHarness();
  await Promise.all(processes.map((each) => each.stop()));
  // A shared TEST_DB_URL keeps nothing of the run.
  const client = new MongoClient(services.dbUrl);
  await client
    .db(env.DB_DATABASE)
    .dropDatabase()
    .catch(() => undefined);
  await client.close();
  await services.stop();
  rmSync(folderPath, { recursive: true, force: true });
  removeTempDirs();
  setCliHarness(undefined);
}
