/**
 * `npm run bench [-- --quick] [-- --only=metadata,downloads,uploads,thumbnails,mixed,storage,resumable]`
 *
 * Starts (or finds) MongoDB-compatible storage and Redis, builds and starts the real server
 * and worker as child processes, starts the bare baselines beside them, seeds data, runs
 * each scenario, and prints one table per scenario plus bench/results/latest.json. It
 * reports and never gates: the exit code is 0 even when a target is missed.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ObjectId } from 'mongodb';
import { appEnv, ROOT, startServerProcess, startWorkerProcess, type AppProcess } from '../scripts/lib/processes';
import { signUpAndLogIn } from '../scripts/lib/client';
import { freePort, startServices, type Services } from '../scripts/lib/services';
import { dbClient } from '../utils/db';
import type { BenchContext } from './lib/context';
import { startLogged, stopAtEnd, stopStarted } from './lib/processes';
import { waitUntil } from '../scripts/lib/wait';
import { formatTable, MIB, missedLines, type Table } from './lib/report';
import type { BaselineOptions } from './baselines/server';
import { runDownloads } from './scenarios/downloads';
import { runMetadata } from './scenarios/metadata';
import { runMixed } from './scenarios/mixed';
import { runResumable } from './scenarios/resumable';
import { runStorage } from './scenarios/storage';
import { runThumbnails } from './scenarios/thumbnails';
import { runUploads } from './scenarios/uploads';

const SCENARIOS = {
  metadata: runMetadata,
  downloads: runDownloads,
  uploads: runUploads,
  thumbnails: runThumbnails,
  mixed: runMixed,
  storage: runStorage,
  resumable: runResumable,
} as const;
type ScenarioName = keyof typeof SCENARIOS;

const RESULTS_DIR = path.join(ROOT, 'bench', 'results');

interface Options {
  quick: boolean;
  only: ScenarioName[];
}

function parseOptions(argv: readonly string[]): Options {
  const all = Object.keys(SCENARIOS) as ScenarioName[];
  const onlyArg = argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
  const only = onlyArg === undefined ? all : all.filter((name) => onlyArg.split(',').includes(name));
  return { quick: argv.includes('--quick'), only };
}

/**
 * The built JS is what production runs, so that is what is measured. If the tree does not
 * build right now (someone mid-edit), the sources run through ts-node instead, and the
 * results say so.
 */
function buildEntryPoints(): { runtime: 'js' | 'ts'; description: string } {
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status === 0) return { runtime: 'js', description: 'node dist/*.js (npm run build)' };
  console.error(`npm run build failed; measuring the sources through ts-node instead:\n${build.stdout}${build.stderr}`);
  return { runtime: 'ts', description: 'ts-node (transpile-only): the build failed' };
}

/** The database name goes in DB_DATABASE, so one named in a given DB_URL's path is dropped from it. */
function withoutDatabase(url: string): string {
  return url.replace(/^([^:]+:\/\/[^/?]*)\/[^?]*/, '$1/');
}

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const began = Date.now();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'files-manager-bench-'));
  const dataDir = path.join(workDir, 'data');
  const folderPath = path.join(workDir, 'files');
  const uploadDir = path.join(workDir, 'baseline-uploads');
  const logDir = path.join(RESULTS_DIR, 'logs');
  for (const dir of [dataDir, folderPath, uploadDir, logDir, RESULTS_DIR]) mkdirSync(dir, { recursive: true });

  let services: Services | undefined;
  const dbName = `files_manager_bench_${randomBytes(4).toString('hex')}`;
  let cleaning: Promise<void> | undefined;
  const cleanUp = (): Promise<void> =>
    (cleaning ??= (async () => {
      await stopStarted();
      if (dbClient.isAlive()) await dbClient.database.dropDatabase().catch(() => undefined);
      await dbClient.close();
      await services?.stop();
      rmSync(workDir, { recursive: true, force: true });
    })());
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\n${signal}: stopping everything the bench started...`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    console.log(`bench: ${options.quick ? 'quick' : 'full'} run of ${options.only.join(', ')}`);
    const { runtime, description } = buildEntryPoints();
    services = await startServices({ prefix: '' });
    const dbUrl = withoutDatabase(services.dbUrl);
    const [oursPort, workerPort, baselinePort, expressPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const redisUrl = services.redisUrl;
    const childEnv = (port: number): Record<string, string> => ({
      ...appEnv({ port, dbUrl, dbName, redisUrl, folderPath }),
      // Room for the storage scenario's 1 GiB upload.
      UPLOAD_MAX_BYTES: String(2 * 1024 * MIB),
      WORKER_CONCURRENCY: '2',
    });
    const oursUrl = `http://127.0.0.1:${oursPort}`;
    const logged = (name: string) => ({ runtime, logPath: path.join(logDir, `${name}.log`) });
    const server = stopAtEnd(await startServerProcess(oursUrl, { env: childEnv(oursPort), ...logged('server') }));
    // The worker opens no port; its PORT only keeps it from clashing with anything should that change.
    const worker = stopAtEnd(await startWorkerProcess({ env: childEnv(workerPort), ...logged('worker') }));
    const baselineOptions: BaselineOptions = {
      port: baselinePort,
      expressPort,
      dbUrl,
      dbName,
      redisUrl: services.redisUrl,
      filesDir: dataDir,
      uploadDir,
    };
    const baseline = startLogged('baseline', 'bench/baselines/server', logDir, { env: {}, args: [JSON.stringify(baselineOptions)] });
    const baselineUrl = `http://127.0.0.1:${baselinePort}`;
    await waitUntil('the baseline server to answer', () => fetch(`${baselineUrl}/status`).then(() => true, () => false), 60_000);

    await dbClient.connect(dbUrl, dbName);
    const { id, token } = await signUpAndLogIn(oursUrl, 'bench');
    const userId = new ObjectId(id);
    const context: BenchContext = {
      quick: options.quick,
      ours: { url: oursUrl, server, worker, env: childEnv(oursPort), runtime },
      baseline: { url: baselineUrl, expressUrl: `http://127.0.0.1:${expressPort}`, server: baseline },
      token,
      userId,
      folderPath,
      dataDir,
      logDir,
    };

    const tables: Table[] = [];
    for (const name of options.only) {
      const scenarioStart = Date.now();
      console.log(`\nrunning ${name}...`);
      let table: Table;
      try {
        table = await SCENARIOS[name](context);
      } catch (error) {
        // One broken scenario should not hide the figures of the others.
        const message = error instanceof Error ? error.message : String(error);
        table = { title: name, rows: [{ scenario: `${name} failed`, ours: message, baseline: '-', ratio: undefined, target: 'completes', met: false }] };
      }
      assertRunning(server);
      console.log(`${formatTable(table)}\n(${((Date.now() - scenarioStart) / 1000).toFixed(0)} s)`);
      tables.push(table);
    }

    const missed = missedLines(tables);
    console.log(missed.length === 0 ? '\nAll targets met.' : `\n${missed.join('\n')}`);
    const results = {
      date: new Date().toISOString(),
      mode: options.quick ? 'quick' : 'full',
      seconds: Math.round((Date.now() - began) / 1000),
      machine: machine(),
      runtime: description,
      services: { db: services.db?.name ?? 'given by DB_URL', redis: services.redis?.name ?? 'given by REDIS_URL' },
      tables,
      missed,
    };
    writeFileSync(path.join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nresults: bench/results/latest.json, logs: bench/results/logs/ (${results.seconds} s)`);
  } finally {
    await cleanUp();
  }
}

function assertRunning(child: AppProcess): void {
  if (!child.running) throw new Error(`${child.entry} has exited:\n${child.output.slice(-2000)}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    // A bench that could not run is a failure to report, not a target missed.
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
