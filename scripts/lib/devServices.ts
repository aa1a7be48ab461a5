/**
 * `npm run dev` starts private services; the other scripts (the backfill, fsck, storage
 * migration) find them through a file it writes while it runs, so a developer never has to
 * copy addresses around. The environment still wins: DB_URL, REDIS_URL and the rest point a
 * script anywhere else.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { configuredServices, loadConfig, useConfig, type Config, type Env } from '../../utils/config';
import { isProcessRunning } from '../../utils/lifecycle';
import { log } from '../../utils/log';
import { ROOT } from './processes';

export const DEV_SERVICES_FILE = path.join(ROOT, '.cache', 'dev-services.json');

interface DevServices {
  pid: number;
  /** What the dev server and worker run with; a script takes what its own environment does not set. */
  env: Record<string, string>;
}

export function publishDevServices(env: Record<string, string>): void {
  mkdirSync(path.dirname(DEV_SERVICES_FILE), { recursive: true });
  writeFileSync(DEV_SERVICES_FILE, JSON.stringify({ pid: process.pid, env } satisfies DevServices));
}

export function withdrawDevServices(): void {
  rmSync(DEV_SERVICES_FILE, { force: true });
}

function runningDevServices(): DevServices | undefined {
  if (!existsSync(DEV_SERVICES_FILE)) return undefined;
  try {
    const published = JSON.parse(readFileSync(DEV_SERVICES_FILE, 'utf8')) as DevServices;
    return isProcessRunning(published.pid) ? published : undefined;
  } catch {
    return undefined;
  }
}

/** A script's configuration: its environment, filled in from a running `npm run dev`. */
export function useScriptConfig(env: Env = process.env): Config {
  const named = configuredServices(env, '');
  if (named.dbUrl !== undefined && named.redisUrl !== undefined) return useConfig(loadConfig(env));
  const dev = runningDevServices();
  if (dev === undefined) {
    log.warn('npm run dev is not running and DB_URL/REDIS_URL are not set: using the defaults (localhost:27017 and 6379)');
    return useConfig(loadConfig(env));
  }
  // A service the environment names replaces dev's in every form of its address.
  const inherited = Object.entries(dev.env).filter(
    ([name]) => !(named.dbUrl !== undefined && name.startsWith('DB_')) && !(named.redisUrl !== undefined && name.startsWith('REDIS_')),
  );
  const defined = Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== '');
  return useConfig(loadConfig(Object.fromEntries([...inherited, ...defined])));
}
