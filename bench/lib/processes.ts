import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

const STOP_GRACE_MS = 10_000;

/** A process the bench started; everything it prints goes to its own log file. */
export class Child {
  readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    private readonly proc: ChildProcess,
    readonly logPath: string,
  ) {
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
  }

  get pid(): number {
    if (this.proc.pid === undefined) throw new Error(`${this.name} has no pid`);
    return this.proc.pid;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** SIGTERM, so the server and worker run their own shutdown; SIGKILL if that hangs. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

const started: Child[] = [];

/** Runs a TypeScript entry point of the bench itself; type checking is `npm run typecheck`'s job. */
export function startTsChild(name: string, entry: string, args: string[], logDir: string): Child {
  return startChild(name, process.execPath, ['-r', 'ts-node/register/transpile-only', entry, ...args], process.env, logDir);
}

export function startChild(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, logDir: string): Child {
  const logPath = path.join(logDir, `${name}.log`);
  const log = createWriteStream(logPath);
  const proc = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.pipe(log, { end: false });
  proc.stderr?.pipe(log, { end: false });
  const child = new Child(name, proc, logPath);
  void child.exited.then(() => log.end());
  started.push(child);
  return child;
}

/** Stops, in reverse order of start, every child still running. */
export async function stopChildren(): Promise<void> {
  for (const child of started.splice(0).reverse()) await child.stop();
}

/** Polls `url` until it answers at all; fails early if the process has died. */
export async function waitForHttp(url: string, child: Child, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!child.running) throw new Error(`${child.name} exited while starting; see ${child.logPath}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`${child.name} did not answer at ${url} within ${timeoutMs / 1000} s; see ${child.logPath}`);
}

export interface Memory {
  rssBytes: number;
  peakBytes: number;
}

export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rssBytes: kib('VmRSS'), peakBytes: kib('VmHWM') };
}

/**
 * Measures how far a process's resident memory rises above where it stood while `work`
 * runs. Writing 5 to clear_refs resets VmHWM to the current RSS, so each measurement
 * starts from the present rather than from the highest point of an earlier scenario.
 */
export async function peakGrowth<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; growthBytes: number }> {
  let resettable = true;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    resettable = false;
  }
  const before = memoryOf(pid);
  const result = await work();
  const after = memoryOf(pid);
  const start = resettable ? before.rssBytes : before.peakBytes;
  return { result, growthBytes: Math.max(after.peakBytes - start, 0) };
}
