/**
 * Compiles the browser app (web/src → web/dist) for `npm run dev` and the test fixture, which
 * must serve the current sources without anyone remembering `npm run build:web`.
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
