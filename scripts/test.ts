/**
 * `npm test`: every tier, in two lanes at once. One after the other they took 17 minutes here,
 * most of it waiting (for processes to start and die, leases to lapse, locks, a throttled
 * relay), while CI has 15. Each tier starts services of its own on free ports, so lanes share
 * nothing but what is built first: the app (dist/, web/dist) and the Go programs the tiers start.
 * A lane stops at its first failing tier; each tier's output is printed whole once it ends, so
 * the two lanes never interleave.
 */
import { spawn } from 'node:child_process';
import { runMain, STOP_SIGNALS } from '../utils/lifecycle';
import { onPath } from './lib/host';
import { ROOT } from './lib/processes';
import { launcherBinary } from './lib/services';
import { tusdBinary } from './lib/tusd';
import { versitygwBinary } from './lib/versitygw';
import { buildIfStale } from './lib/webBuild';

/** Balanced by how long each tier took alone: 7.5 and 9 minutes. */
const LANES = [
  ['test:unit', 'test:integration', 'test:integration:s3', 'test:cli'],
  ['test:browser', 'test:faults'],
];

const running = new Set<ReturnType<typeof spawn>>();

/** Runs one npm script, its output kept; prints it whole, with how it ended. */
function runTier(script: string): Promise<boolean> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '-s', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const output: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    child.once('close', (code, signal) => {
      running.delete(child);
      const seconds = Math.round((Date.now() - started) / 1000);
      const outcome = code === 0 ? 'passed' : `FAILED (${signal ?? `exit code ${code}`})`;
      process.stdout.write(`\n===== npm run ${script}: ${outcome} in ${seconds} s =====\n${Buffer.concat(output).toString()}`);
      resolve(code === 0);
    });
  });
}

async function runLane(scripts: string[]): Promise<boolean> {
  for (const script of scripts) if (!(await runTier(script))) return false;
  return true;
}

async function main(): Promise<void> {
  for (const signal of STOP_SIGNALS) {
    process.once(signal, () => {
      for (const child of running) child.kill(signal);
    });
  }
  // Built once, before the lanes: two tiers building the same file at once could read it half-written.
  buildIfStale();
  // The database's launcher is needed unless a mongod is installed.
  await Promise.all([onPath('mongod') === undefined ? launcherBinary() : undefined, versitygwBinary(), tusdBinary()]);
  const passed = await Promise.all(LANES.map(runLane));
  if (passed.includes(false)) process.exitCode = 1;
}

runMain('test', main);
