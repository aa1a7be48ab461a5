/**
 * The Chromium the browser tests drive: Debian's package, never a browser build downloaded by
 * Playwright (the machines reach package registries only). Installed like redis-server in
 * scripts/lib/services.ts when missing and we are root.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { onPath } from './services';

const KNOWN_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** Flags for a quiet, reproducible headless run: no sandbox as root, no calls home. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export class BrowserSetupError extends Error {
  override name = 'BrowserSetupError';
}

function installed(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!existsSync(fromEnv)) throw new BrowserSetupError(`CHROMIUM_PATH names ${fromEnv}, which does not exist.`);
    return fromEnv;
  }
  return KNOWN_PATHS.find((candidate) => existsSync(candidate)) ?? onPath('chromium');
}

/** The path of the chromium executable, installing Debian's `chromium` package if needed and allowed. */
export function chromiumPath(): string {
  const found = installed();
  if (found !== undefined) return found;
  if (process.getuid?.() === 0 && onPath('apt-get') !== undefined) {
    console.error('Installing chromium from Debian packages...');
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    const now = installed();
    if (now !== undefined) return now;
  }
  throw new BrowserSetupError(
    'No Chromium for the browser tests: install the Debian package `chromium` (apt-get install chromium), or set CHROMIUM_PATH.',
  );
}
