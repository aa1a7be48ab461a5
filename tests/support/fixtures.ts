import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startServices } from '../../scripts/lib/services';
import { findOrStartS3, s3Env } from '../../scripts/lib/versitygw';
import { buildWebIfStale } from '../../scripts/lib/webBuild';
import { closeServer, startServer } from '../../server';
import { closeClients, connectClients } from '../../utils/clients';
import { loadConfig, useConfig } from '../../utils/config';
import { dbClient } from '../../utils/db';
import { checkStore, hasDamage } from '../../utils/files/upkeep/fsck';
import { s3Store } from '../../utils/storage/stores';
import { allViolations, fileViolations, holdToContract } from './contract';
import { harness, setHarness } from './harness';
import { silenceServerLog, takeServerLog } from './serverLog';

/**
 * Mocha global fixtures for the integration tier: real services started once (or the ones
 * TEST_DB_URL / TEST_REDIS_URL name), the app in-process on a free port with its log kept out
 * of the report (serverLog.ts), and a private database and folder for this run.
 */
export async function mochaGlobalSetup(): Promise<void> {
  // The app serves web/dist; the browser tests must drive the current sources.
  buildWebIfStale();
  const services = await startServices({ prefix: 'TEST_' });
  const folderPath = mkdtempSync(path.join(os.tmpdir(), 'files-manager-test-'));
  const run = randomBytes(4).toString('hex');
  const env: Record<string, string> = {
    DB_URL: services.dbUrl,
    // A fresh database per run, so a shared TEST_DB_URL never mixes runs.
    DB_DATABASE: `files_manager_test_${run}`,
    REDIS_URL: services.redisUrl,
    FOLDER_PATH: folderPath,
  };
  // TEST_STORAGE=s3 runs the tier with the bytes in a bucket: versitygw, or the one TEST_AWS_ENDPOINT_URL_S3 names.
  const s3 = process.env.TEST_STORAGE === 's3' ? await findOrStartS3('TEST_') : undefined;
  if (s3 !== undefined) Object.assign(env, s3Env(s3, `test-${run}/`));
  useConfig(loadConfig(env));
  silenceServerLog();
  await connectClients();
  const server = await startServer(0);
  holdToContract(server);
  const { port } = server.address() as AddressInfo;
  setHarness({ baseUrl: `http://127.0.0.1:${port}`, server, services, folderPath, env, s3 });
}

export async function mochaGlobalTeardown(): Promise<void> {
  const { server, services, folderPath, s3 } = harness();
  await closeServer(server);
  if (dbClient.isAlive()) await dbClient.database.dropDatabase().catch(() => undefined);
  // A named bucket outlives the run: leave nothing of it there.
  const bucket = s3Store();
  if (bucket !== undefined) for await (const { key } of bucket.list()) await bucket.delete([key]);
  await closeClients();
  await s3?.dispose();
  await services.stop();
  rmSync(folderPath, { recursive: true, force: true });
  setHarness(undefined);
}

/**
 * After every test of the tier: the store the suite leaves must be consistent, as `npm run
 * fsck` sees it, so a test that damages it on purpose also mends it.
 */
export const mochaHooks = {
  /** A failing test shows what the app logged meanwhile; every response a test caused must be one the OpenAPI document describes. */
  afterEach(this: Mocha.Context): void {
    const logged = takeServerLog();
    if (this.currentTest?.state === 'failed' && logged.length > 0) {
      console.error(`      the server's log during this test:\n${logged.join('\n').replace(/^/gm, '        ')}`);
    }
    fileViolations(this.currentTest?.fullTitle() ?? 'a test');
  },

  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(120_000);
    const violations = allViolations();
    if (violations.length > 0) throw new Error(`responses the OpenAPI document does not describe:\n  ${violations.join('\n  ')}`);
    const report = await checkStore();
    if (hasDamage(report)) throw new Error(`the suite left the store inconsistent:\n${JSON.stringify(report, null, 2)}`);
  },
};
