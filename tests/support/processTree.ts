/** Whole process trees, for tests that start real npm scripts and check that nothing outlives them. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { commandLine } from '../../scripts/lib/devServices';
import { ROOT } from '../../scripts/lib/processes';
import { sleep, waitUntil } from '../../scripts/lib/wait';
import { isProcessRunning } from '../../utils/lifecycle';

/** Every process below `pid`, children first. */
export function descendants(pid: number): number[] {
  let children: number[];
  try {
    children = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    children = [];
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

export function commandOf(pid: number): string {
  return commandLine(pid) ?? '';
}

/** A line of a stack trace, as Node prints them. */
export const STACK_FRAME = /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/m;

/**
 * `npm run <script>` as a user starts it: npm, then whatever the script runs, in a process group
 * of its own so the test can send a signal to the group as a terminal's Ctrl-C does.
 */
export class NpmScript {
  private readonly child: ChildProcess;
  private captured = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly script: string,
    env: Record<string, string>,
    args: string[] = [],
  ) {
    this.child = spawn('npm', ['run', '--silent', script, ...(args.length > 0 ? ['--', ...args] : [])], {
      cwd: ROOT,
      env: { PATH: `${process.env.PATH ?? ''}:/usr/local/go/bin`, HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const keep = (chunk: Buffer): void => {
      this.captured += chunk.toString();
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`npm run ${this.script} did not start`);
    return this.child.pid;
  }

  get output(): string {
    return this.captured;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** npm itself, and every process it started. */
  tree(): number[] {
    return [this.pid, ...descendants(this.pid)];
  }

  async waitForOutput(text: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.captured.includes(text)) {
      if (!this.running) throw new Error(`npm run ${this.script} exited before printing "${text}":\n${this.captured}`);
      if (Date.now() > deadline) throw new Error(`npm run ${this.script} did not print "${text}" within ${timeoutMs} ms:\n${this.captured}`);
      await sleep(50);
    }
  }

  /** To npm alone, as `kill <pid>`, systemd or a CI runner send it; or to its whole group, as a terminal's Ctrl-C. */
  signal(signal: NodeJS.Signals, target: 'npm' | 'group'): void {
    process.kill(target === 'group' ? -this.pid : this.pid, signal);
  }

  /** Kills whatever is left of the tree; for after() hooks. */
  killTree(): void {
    for (const pid of this.running ? this.tree() : []) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  }
}

/** Waits until none of `pids` runs, and names the ones that still do if some outlive `timeoutMs`. */
export async function waitForAllGone(pids: readonly number[], timeoutMs: number): Promise<void> {
  try {
    await waitUntil('every process to be gone', () => pids.every((pid) => !isProcessRunning(pid)), timeoutMs);
  } catch {
    throw new Error(`still running: ${pids.filter(isProcessRunning).map((pid) => `${pid} ${commandOf(pid)}`).join(' | ')}`);
  }
}
