import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { appEnv, AppProcess, startServerProcess, type Exit } from '../../scripts/lib/processes';
import { freePort, startServices, type Services } from '../../scripts/lib/services';
import { findOrStartS3, s3Env, type S3Service } from '../../scripts/lib/versitygw';
import { closeClients, connectClients } from '../../utils/clients';
import { loadConfig, useConfig } from '../../utils/config';
import { EXIT_CANNOT_START } from '../../utils/lifecycle';
import { STORE_MARKER_KEY } from '../../utils/storage/byteStore';
import { sweepUnreferencedBytes } from '../../utils/files/upkeep/sweep';
import { ForeignStoreError } from '../../utils/storage/ownership';
import { STACK_FRAME } from '../support/processTree';

/** What a newcomer sees when a service is missing or a store is someone else's: one line, no stack trace, exit code 78 (EX_CONFIG). */

let services: Services;
let s3: S3Service;
const folders: string[] = [];
const processes: AppProcess[] = [];

function folder(): string {
  const made = mkdtempSync(path.join(os.tmpdir(), 'files-manager-startup-'));
  folders.push(made);
  return made;
}

async function env(dbName: string, folderPath: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return { ...appEnv({ port: await freePort(), dbUrl: services.dbUrl, dbName, redisUrl: services.redisUrl, folderPath }), ...extra };
}

/** Runs `entry` until it exits on its own, and gives back its exit and the lines it printed. */
async function runToExit(entry: string, processEnv: Record<string, string>): Promise<{ exit: Exit; lines: string[]; output: string }> {
  const child = new AppProcess(entry, { env: processEnv });
  processes.push(child);
  const exit = await child.exited;
  return { exit, lines: child.output.split('\n').filter((line) => line.trim() !== ''), output: child.output };
}

async function serve(processEnv: Record<string, string>): Promise<AppProcess> {
  const server = await startServerProcess(`http://127.0.0.1:${processEnv.PORT ?? ''}`, { env: processEnv });
  processes.push(server);
  return server;
}

function expectOneLine({ exit, lines, output }: { exit: Exit; lines: string[]; output: string }, ...parts: string[]): void {
  expect(exit.code, output).to.equal(EXIT_CANNOT_START);
  expect(lines, output).to.have.length(1);
  expect(output).not.to.match(STACK_FRAME);
  for (const part of parts) expect(lines[0]).to.include(part);
}

describe('starting up', function () {
  this.timeout(120_000);
  this.slow(10_000);

  before(async function () {
    // The first run on a machine builds versitygw: minutes with empty Go caches.
    this.timeout(10 * 60_000);
    services = await startServices({ prefix: '' }, {});
    s3 = await findOrStartS3('TEST_');
  });

  after(async () => {
    await Promise.all(processes.map((child) => child.kill()));
    await closeClients();
    await s3?.dispose();
    await services?.stop();
    for (const made of folders) rmSync(made, { recursive: true, force: true });
  });

  describe('without its services', () => {
    for (const entry of ['server', 'worker']) {
      it(`${entry}: an unreachable database is one line naming its address and DB_URL, then exit 1 after CONNECT_TIMEOUT_SECONDS`, async () => {
        const port = await freePort();
        const started = Date.now();
        const result = await runToExit(entry, await env('startup', folder(), { DB_URL: `mongodb://someone:s3cret@127.0.0.1:${port}/`, CONNECT_TIMEOUT_SECONDS: '2' }));
        expectOneLine(result, `the database at 127.0.0.1:${port} is not reachable`, 'set DB_URL', 'Retrying for up to 2 s');
        expect(result.output, 'the password').not.to.include('s3cret');
        expect(Date.now() - started).to.be.at.least(2000);
      });

      it(`${entry}: an unreachable Redis is one line naming its address and REDIS_URL`, async () => {
        const port = await freePort();
        const result = await runToExit(entry, await env('startup', folder(), { REDIS_URL: `redis://127.0.0.1:${port}`, CONNECT_TIMEOUT_SECONDS: '1' }));
        expectOneLine(result, `Redis at 127.0.0.1:${port} is not reachable`, 'set REDIS_URL');
      });
    }

    it('a busy port is one line', async () => {
      const first = await serve(await env('startup_port', folder()));
      const result = await runToExit('server', { ...(await env('startup_port', folder())), PORT: first.output.match(/port (\d+)/)?.[1] ?? '' });
      expectOneLine(result, 'is already in use by another program: set PORT');
    });
  });

  describe('a store knows whose it is', () => {
    it('marks a new folder with its database, and refuses a server, a worker and fsck of another database on it', async () => {
      const shared = folder();
      await serve(await env('deployment_a', shared));
      const marker = JSON.parse(readFileSync(path.join(shared, STORE_MARKER_KEY), 'utf8')) as { deployment: string; database: string };
      expect(marker.database).to.equal('deployment_a');
      for (const entry of ['server', 'worker', 'scripts/fsck']) {
        const result = await runToExit(entry, await env('deployment_b', shared));
        expectOneLine(result, `FOLDER_PATH ${shared} belongs to another deployment (database "deployment_a", id ${marker.deployment})`, 'database "deployment_b"');
      }
    });

    it('refuses another database on one bucket prefix, and accepts it on a prefix of its own', async () => {
      await serve(await env('bucket_a', folder(), s3Env(s3, 'shared/')));
      const refused = await runToExit('server', await env('bucket_b', folder(), s3Env(s3, 'shared/')));
      expectOneLine(refused, 'the prefix "shared/" of the bucket', 'belongs to another deployment (database "bucket_a"');
      await serve(await env('bucket_b', folder(), s3Env(s3, 'own/')));
    });

    it('lets a database of the same name that was dropped take its store back', async () => {
      const own = folder();
      const processEnv = await env('dropped_again', own);
      const first = await serve(processEnv);
      await first.stop();
      const client = await MongoClient.connect(services.dbUrl);
      try {
        await client.db('dropped_again').dropDatabase();
      } finally {
        await client.close();
      }
      await serve({ ...processEnv, PORT: String(await freePort()) });
    });

    it('fsck and the sweep delete nothing once the marker names another deployment', async () => {
      const own = folder();
      useConfig(loadConfig(await env('sweeper', own)));
      await connectClients();
      const stray = path.join(own, 'not-referenced-by-anything');
      writeFileSync(stray, 'bytes');
      const markerPath = path.join(own, STORE_MARKER_KEY);
      const ours = readFileSync(markerPath);
      writeFileSync(markerPath, JSON.stringify({ deployment: 'someone-else', database: 'elsewhere' }));
      try {
        const failure = await sweepUnreferencedBytes({ remove: true, unreferencedMinAgeMs: 0 }).catch((error: unknown) => error);
        expect(failure).to.be.instanceOf(ForeignStoreError);
        expect((failure as Error).message).to.include('belongs to another deployment (database "elsewhere"');
        expect(existsSync(stray)).to.equal(true);
      } finally {
        writeFileSync(markerPath, ours);
      }
      const swept = await sweepUnreferencedBytes({ remove: true, unreferencedMinAgeMs: 0 });
      expect(swept.removed).to.equal(1);
      expect(existsSync(stray)).to.equal(false);
      await closeClients();
    });
  });
});
