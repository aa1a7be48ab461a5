/**
 * `npm run dev [-- --s3]`: the API on PORT (5000) and the worker, restarted when a source file
 * changes or when one of them crashes, on private services unless the environment names others
 * or `npm run services` runs in this checkout. The database keeps its data, and the bytes theirs,
 * in .cache/dev-data between runs; Redis starts empty, so no token or throttle counter outlives
 * the run. With --s3 the bytes go to a local S3 server instead. SIGINT, SIGTERM or SIGHUP stops the
 * server and the worker, then the services they used, and nothing is left running.
 */
import { watch, type FSWatcher } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { loadConfig } from '../utils/config';
import { EXIT_CANNOT_START, runMain, StartupError, STOP_SIGNALS } from '../utils/lifecycle';
import { claimDevData, runningDevInstance, startDevStack, useS3, type DevClaim, type DevStack } from './lib/devServices';
import { AppProcess, ROOT } from './lib/processes';
import { sleep } from './lib/wait';
import { buildWeb, buildWebIfStale } from './lib/webBuild';

const ENTRIES = ['server', 'worker'] as const;
/** Editors write a file in several steps; one restart covers them all. */
const RESTART_DEBOUNCE_MS = 300;
/** A process that crashes at once would otherwise be restarted in a tight loop. */
const CRASH_BACKOFF_MS = [500, 1000, 2000, 5000];
const IGNORED = /^(node_modules|\.cache|\.git|dist|tests|bench|web|cli)\b/;

/** tsc has printed what is wrong; the API keeps running with the last good build. */
function rebuildWeb(build: () => void = buildWeb): void {
  try {
    build();
  } catch {
    console.error('dev: the web app did not compile');
  }
}

/** Said before anything starts: a server that cannot listen would only crash and restart forever. */
async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new StartupError(`port ${port} is in use by another program: run with another, e.g. PORT=${port + 1} npm run dev`) : error);
    });
    probe.listen(port, () => probe.close(() => resolve()));
  });
}

/** The services of a running `npm run services`, or our own. */
async function services(s3: boolean, claimed: () => DevClaim): Promise<DevStack> {
  const shared = runningDevInstance();
  if (shared?.kind === 'services') {
    if (s3 && shared.env.STORAGE !== 's3') throw new StartupError(`npm run services (pid ${shared.pid}) runs without S3: stop it, or start it with -- --s3`);
    console.log(`dev: using the services of npm run services (pid ${shared.pid})`);
    return { env: shared.env, stop: () => Promise.resolve() };
  }
  return startDevStack(claimed(), { s3 });
}

async function main(): Promise<void> {
  const { port } = loadConfig();
  const url = `http://localhost:${port}`;
  let claim: DevClaim | undefined;
  const claimed = (): DevClaim => (claim ??= claimDevData('dev', url));
  // Taken before anything starts, so a second dev says so in one line and leaves this one's data alone.
  if (runningDevInstance()?.kind !== 'services') claimed();
  try {
    await assertPortFree(port);
  } catch (error) {
    claim?.release();
    throw error;
  }
  const s3 = useS3(process.argv.includes('--s3'), 'dev');

  let stopping = false;
  const running = new Map<string, AppProcess>();
  const crashes = new Map<string, number>();
  /** Set once the children run; a stop before that has nothing to close. */
  const watching: { watcher?: FSWatcher } = {};
  let timer: NodeJS.Timeout | undefined;
  let webTimer: NodeJS.Timeout | undefined;

  const stop = async (exitCode = 0): Promise<void> => {
    if (stopping) return;
    stopping = true;
    watching.watcher?.close();
    clearTimeout(timer);
    clearTimeout(webTimer);
    // The server and the worker finish what they are doing before the services they use go.
    await Promise.all([...running.values()].map((child) => child.stop()));
    await starting.then((started) => started.stop(), () => undefined);
    claim?.release();
    process.exit(exitCode);
  };

  // So http://localhost:PORT/ serves the browser app; changes under web/src rebuild it.
  rebuildWeb(buildWebIfStale);
  const starting = services(s3, claimed);
  // A Ctrl-C while the services boot stops them once they are up.
  for (const signal of STOP_SIGNALS) process.on(signal, () => void stop());
  let stack: DevStack;
  try {
    stack = await starting;
  } catch (error) {
    claim?.release();
    throw error;
  }
  if (stopping) return;
  const inherited = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const env = { ...inherited, ...stack.env };
  console.log(`database: ${stack.env.DB_URL}\nredis:    ${stack.env.REDIS_URL}\nfiles:    ${stack.env.STORAGE === 's3' ? `bucket ${stack.env.S3_BUCKET} at ${stack.env.AWS_ENDPOINT_URL_S3}` : stack.env.FOLDER_PATH}`);

  const launch = (entry: string): void => {
    // Detached, so only we signal it (a Ctrl-C would reach it twice); the IPC channel stops it should we die.
    const child = new AppProcess(entry, { env, inheritOutput: true, detached: true });
    running.set(entry, child);
    void child.exited.then(async ({ code, signal }) => {
      if (stopping || running.get(entry) !== child) return;
      if (code === EXIT_CANNOT_START) {
        // It said why in one line; restarting would only say it again every few seconds.
        console.error(`dev: the ${entry} cannot start; stopping`);
        void stop(EXIT_CANNOT_START);
        return;
      }
      const count = crashes.get(entry) ?? 0;
      crashes.set(entry, count + 1);
      const delay = CRASH_BACKOFF_MS[Math.min(count, CRASH_BACKOFF_MS.length - 1)] ?? 5000;
      console.error(`dev: ${entry} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
      await sleep(delay);
      if (!stopping && running.get(entry) === child) launch(entry);
    });
  };

  const restartAll = async (): Promise<void> => {
    const children = [...running.values()];
    running.clear();
    await Promise.all(children.map((child) => child.stop()));
    crashes.clear();
    if (!stopping) ENTRIES.forEach(launch);
  };

  watching.watcher = watch(ROOT, { recursive: true }, (_event, file) => {
    if (file === null || !file.endsWith('.ts')) return;
    // The browser app is compiled apart and served as files: a change there needs no restart.
    if (file.startsWith(path.join('web', 'src'))) {
      clearTimeout(webTimer);
      webTimer = setTimeout(rebuildWeb, RESTART_DEBOUNCE_MS);
      return;
    }
    if (IGNORED.test(file)) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      console.log(`dev: ${file} changed, restarting`);
      void restartAll();
    }, RESTART_DEBOUNCE_MS);
  });
  ENTRIES.forEach(launch);
}

runMain('dev', main);
