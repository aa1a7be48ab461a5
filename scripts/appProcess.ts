/**
 * The server, the worker or a script as a child process, for the fault tests and the soak:
 * they need to kill a real process, restart it, and read what it printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { sleep, waitUntil } from './wait';

const ROOT = path.resolve(__dirname, '..');
const TS_NODE = path.join(ROOT, 'node_modules', '.bin', 'ts-node');
const OUTPUT_LIMIT = 1024 * 1024;

export interface AppSettings {
  port: number;
  dbUrl: string;
  dbName: string;
  redisUrl: string;
  folderPath: string;
}

/**
 * The environment of a server or worker run by tooling on its own services. The limits on
 * sign-ups and failed logins are lifted: every client of a test or a load run is on 127.0.0.1.
 */
export function appEnv(settings: AppSettings): Record<string, string> {
  return {
    PORT: String(settings.port),
    DB_URL: settings.dbUrl,
    DB_DATABASE: settings.dbName,
    REDIS_URL: settings.redisUrl,
    FOLDER_PATH: settings.folderPath,
    SIGNUP_MAX_PER_ADDRESS: '1000000',
    LOGIN_MAX_FAILURES: '1000000',
  };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class AppProcess {
  private readonly child: ChildProcess;
  private captured = '';
  /** Resolves once the process has exited, however it ended. */
  readonly exited: Promise<Exit>;

  /** `entry` is relative to the project root: server.ts, worker.ts or a script. */
  constructor(
    readonly entry: string,
    env: Record<string, string>,
  ) {
    // Only what is given, so the shell's settings never point a child at someone else's data.
    // Type checking is `npm run typecheck`'s job; transpiling only starts a child in seconds.
    this.child = spawn(TS_NODE, [entry], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', TS_NODE_TRANSPILE_ONLY: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      this.captured = (this.captured + chunk.toString()).slice(-OUTPUT_LIMIT);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
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
export async function startServerProcess(env: Record<string, string>, baseUrl: string): Promise<AppProcess> {
  const server = new AppProcess('server.ts', env);
  try {
    await waitUntil(
      'the server to answer',
      async () => {
        if (!server.running) throw new Error(`the server exited while starting:\n${server.output}`);
        return fetch(`${baseUrl}/status`).then(
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
export async function startWorkerProcess(env: Record<string, string>): Promise<AppProcess> {
  const worker = new AppProcess('worker.ts', env);
  try {
    await worker.waitForOutput('Worker processing', 60_000);
  } catch (error) {
    await worker.kill();
    throw error;
  }
  return worker;
}

export { sleep, waitUntil };
