/**
 * `npm run dev`: the API on PORT (5000) and the worker, restarted when a source file changes
 * or when one of them crashes, on a private database and Redis unless the environment names
 * others. The database keeps its data in .cache/dev-data between runs; Redis starts empty, so
 * no token or throttle counter outlives the run. SIGINT or SIGTERM stops everything it started.
 */
import { watch } from 'node:fs';
import path from 'node:path';
import { publishDevServices, withdrawDevServices } from './lib/devServices';
import { AppProcess, ROOT } from './lib/processes';
import { buildWeb } from './lib/webBuild';
import { startServices } from './lib/services';
import { sleep } from './lib/wait';

const ENTRIES = ['server', 'worker'] as const;
/** Editors write a file in several steps; one restart covers them all. */
const RESTART_DEBOUNCE_MS = 300;
/** A process that crashes at once would otherwise be restarted in a tight loop. */
const CRASH_BACKOFF_MS = [500, 1000, 2000, 5000];
const IGNORED = /^(node_modules|\.cache|\.git|dist|tests|bench|web)\b/;

/** tsc has printed what is wrong; the API keeps running with the last good build. */
function rebuildWeb(): void {
  try {
    buildWeb();
  } catch {
    console.error('dev: the web app did not compile');
  }
}

async function main(): Promise<void> {
  // So http://localhost:PORT/ serves the browser app; changes under web/src rebuild it.
  rebuildWeb();
  const services = await startServices({ prefix: '', dataDir: path.join(ROOT, '.cache', 'dev-data') });
  const inherited = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const env = { ...inherited, DB_URL: services.dbUrl, REDIS_URL: services.redisUrl };
  publishDevServices({ DB_URL: services.dbUrl, REDIS_URL: services.redisUrl, ...(inherited.FOLDER_PATH ? { FOLDER_PATH: inherited.FOLDER_PATH } : {}) });
  console.log(`database: ${services.dbUrl}\nredis:    ${services.redisUrl}`);

  let stopping = false;
  const running = new Map<string, AppProcess>();
  const crashes = new Map<string, number>();

  const launch = (entry: string): void => {
    const child = new AppProcess(entry, { env, inheritOutput: true });
    running.set(entry, child);
    void child.exited.then(async ({ code, signal }) => {
      if (stopping || running.get(entry) !== child) return;
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

  let timer: NodeJS.Timeout | undefined;
  let webTimer: NodeJS.Timeout | undefined;
  const watcher = watch(ROOT, { recursive: true }, (_event, file) => {
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

  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    watcher.close();
    clearTimeout(timer);
    await Promise.all([...running.values()].map((child) => child.stop()));
    withdrawDevServices();
    await services.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  ENTRIES.forEach(launch);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  withdrawDevServices();
  process.exit(1);
});
