/**
 * The server, the worker or a script as a child process, for `npm run dev`, the tests, the
 * soak and the bench: they start real processes, kill and restart them, and read what they print.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { sleep, waitUntil } from './wait';

/** The project's root, found from here whether this runs from the sources or from dist/. */
function projectRoot(from: string): string {
  const parent = path.dirname(from);
  if (existsSync(path.join(from, 'package.json')) || parent === from) return from;
  return projectRoot(parent);
}

export const ROOT = projectRoot(__dirname);
/** What a process keeps of its own output in memory, for waitForOutput and failure reports. */
const OUTPUT_LIMIT = 1024 * 1024;
const STOP_GRACE_MS = 10_000;

export interface AppSettings {
  port: number;
  dbUrl: string;
  dbName: string;
  redisUrl: string;
  folderPath: string;
}

/** The environment of a server or worker that tooling runs on its own services. */
export function appEnv(settings: AppSettings): Record<string, string> {
  return {
    PORT: String(settings.port),
    DB_URL: settings.dbUrl,
    DB_DATABASE: settings.dbName,
    REDIS_URL: settings.redisUrl,
    FOLDER_PATH: settings.folderPath,
  };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ProcessOptions {
  /** Only these variables (and PATH, HOME), so the shell's settings never point a child at someone else's data. */
  env: Record<string, string>;
  /** `ts` runs the TypeScript sources (transpiled only: type checking is `npm run typecheck`'s job); `js` the build in dist/. */
  runtime?: 'ts' | 'js';
  /** Also write everything it prints here. */
  logPath?: string;
  /** Pass stdout and stderr through to this process's own. */
  inheritOutput?: boolean;
  /** Command-line arguments after the entry point. */
  args?: string[];
  /** In a process group of its own, so signals sent to ours (a Ctrl-C) reach it only through us. */
  detached?: boolean;
}

export class AppProcess {
  private readonly child: ChildProcess;
  private readonly log: WriteStream | undefined;
  private captured = '';
  /** Resolves once the process has exited, however it ended. */
  readonly exited: Promise<Exit>;

  /** `entry` is relative to the project root, without extension: `server`, `worker` or `scripts/x`. */
  constructor(
    readonly entry: string,
    options: ProcessOptions,
  ) {
    const runtime = options.runtime ?? 'ts';
    const script = runtime === 'ts' ? ['-r', 'ts-node/register/transpile-only', `${entry}.ts`] : [path.join('dist', `${entry}.js`)];
    const args = [...script, ...(options.args ?? [])];
    this.child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
      // The IPC channel closes when we die, however we die, and the child then stops itself (utils/lifecycle.ts).
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: options.detached ?? false,
    });
    this.log = options.logPath === undefined ? undefined : createWriteStream(options.logPath);
    const keep = (target: NodeJS.WriteStream) => (chunk: Buffer) => {
      this.captured = (this.captured + chunk.toString()).slice(-OUTPUT_LIMIT);
      this.log?.write(chunk);
      if (options.inheritOutput) target.write(chunk);
    };
    this.child.stdout?.on('data', keep(process.stdout));
    this.child.stderr?.on('data', keep(process.stderr));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.log?.end();
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.entry} did not start`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything it printed so far, stdout and stderr interleaved (the last MiB). */
  get output(): string {
    return this.captured;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Kills and waits for the exit; a no-op once it has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
    this.signal(signal);
    return this.exited;
  }

  /** SIGTERM, so it runs its own shutdown; SIGKILL if that hangs. */
  async stop(): Promise<Exit> {
    const timer = setTimeout(() => this.signal('SIGKILL'), STOP_GRACE_MS);
    try {
      return await this.kill('SIGTERM');
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits until the output contains `text`, for at most `timeoutMs`. */
  async waitForOutput(text: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.captured.includes(text)) {
      if (!this.running) throw new Error(`${this.entry} exited before printing "${text}":\n${this.captured}`);
      if (Date.now() > deadline) throw new Error(`${this.entry} did not print "${text}" within ${timeoutMs} ms:\n${this.captured}`);
      await sleep(50);
    }
  }
}

/** Starts the server and resolves once it answers GET /status. */
export async function startServerProcess(baseUrl: string, options: ProcessOptions): Promise<AppProcess> {
  const server = new AppProcess('server', options);
  try {
    await waitUntil(
      'the server to answer',
      async () => {
        if (!server.running) throw new Error(`the server exited while starting:\n${server.output}`);
        return fetch(`${baseUrl}/status`, { signal: AbortSignal.timeout(1000) }).then(
          (response) => response.ok,
          () => false,
        );
      },
      60_000,
    );
  } catch (error) {
    await server.kill();
    throw error;
  }
  return server;
}

/** Starts the worker and resolves once it is taking jobs. */
export async function startWorkerProcess(options: ProcessOptions): Promise<AppProcess> {
  const worker = new AppProcess('worker', options);
  try {
    await worker.waitForOutput('Worker processing', 60_000);
  } catch (error) {
    await worker.kill();
    throw error;
  }
  return worker;
}
