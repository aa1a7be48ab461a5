/**
 * Compiles the browser app (web/src → web/dist) for `npm run dev` and the test fixture, which
 * must serve the current sources without anyone remembering `npm run build:web`; and the whole
 * build (`npm run build`, dist/ too) for the tests that run `npm start`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './processes';

const WEB = path.join(ROOT, 'web');
const SOURCES = path.join(WEB, 'src');
const DIST = path.join(WEB, 'dist');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

function mtime(file: string): number {
  return statSync(file).mtimeMs;
}

/** True when an output is missing or older than any source file or the tsconfig. */
export function webBuildIsStale(): boolean {
  const sources = readdirSync(SOURCES).filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'));
  const outputs = sources.map((name) => path.join(DIST, name.replace(/\.ts$/, '.js')));
  if (outputs.some((output) => !existsSync(output))) return true;
  const newestInput = Math.max(mtime(path.join(WEB, 'tsconfig.json')), ...sources.map((name) => mtime(path.join(SOURCES, name))));
  const oldestOutput = Math.min(...outputs.map(mtime));
  return newestInput > oldestOutput;
}

export function buildWeb(): void {
  execFileSync(process.execPath, [TSC, '-p', path.join(WEB, 'tsconfig.json')], { cwd: ROOT, stdio: 'inherit' });
}

export function buildWebIfStale(): void {
  if (webBuildIsStale()) buildWeb();
}

/** What tsconfig.build.json compiles into dist/ (a superset: every script), and its settings. */
const BUILD_SOURCES = ['server.ts', 'worker.ts', 'routes', 'controllers', 'utils', 'cli', 'scripts', 'tsconfig.json', 'tsconfig.build.json'];

function newestTypeScript(file: string): number {
  const stats = statSync(file);
  if (!stats.isDirectory()) return file.endsWith('.ts') || file.endsWith('.json') ? stats.mtimeMs : 0;
  return Math.max(0, ...readdirSync(file).map((name) => newestTypeScript(path.join(file, name))));
}

/**
 * `npm run build` unless dist/ and web/dist are newer than their sources. Rebuilding while
 * another test tier serves web/dist or runs dist/cli could let it read a half-written file.
 */
export function buildIfStale(): void {
  const server = path.join(ROOT, 'dist', 'server.js');
  const stale = !existsSync(server) || Math.max(...BUILD_SOURCES.map((name) => newestTypeScript(path.join(ROOT, name)))) > mtime(server) || webBuildIsStale();
  if (stale) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
}
