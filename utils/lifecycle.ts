import { ConfigError } from './config';
import { log } from './log';

/**
 * A start-up failure whose message says everything (an unreachable service, a busy port, a
 * store that belongs to another deployment): printed as one line, without a stack trace.
 */
export class StartupError extends Error {
  override name = 'StartupError';
  /** Its line was printed already, while start-up was still trying. */
  readonly alreadySaid: boolean;

  constructor(message: string, { alreadySaid = false }: { alreadySaid?: boolean } = {}) {
    super(message);
    this.alreadySaid = alreadySaid;
  }
}

/**
 * The exit code of a process that could not start for a reason restarting will not mend (a bad
 * setting, an unreachable service, a busy port, a store of another deployment): sysexits'
 * EX_CONFIG. `npm run dev` stops instead of restarting a child that exits with it.
 */
export const EXIT_CANNOT_START = 78;

/** What stops a long-running process: a service manager's SIGTERM, a Ctrl-C, a closed terminal. */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/**
 * Ctrl-C reaches every process of the terminal's group, and npm passes it on to its script as
 * well; nodemon sends SIGINT then SIGTERM. Signals within this long of the first are one request
 * to stop, not two.
 */
const SAME_REQUEST_MS = 1000;

/**
 * Runs `stop` once on the first SIGTERM or SIGINT and exits with 0 when it succeeds, 1 when
 * it fails or takes longer than `timeoutMs`. A second signal exits at once. A parent that
 * started us with an IPC channel (`npm run dev`, the tests) may die without stopping us: the
 * channel closing counts as a SIGTERM.
 */
export function stopOnSignals(what: string, stop: () => Promise<void>, timeoutMs = 30_000): void {
  let first: { at: number } | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (first !== undefined) {
      if (Date.now() - first.at < SAME_REQUEST_MS) return;
      log.info(`${what}: ${signal} again, exiting now`);
      process.exit(1);
    }
    first = { at: Date.now() };
    log.info(`${what}: ${signal} received, finishing in-flight work`);
    const timer = setTimeout(() => {
      log.error(`${what}: did not stop within ${timeoutMs} ms`);
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error(`${what}: stopping failed`, error);
        process.exit(1);
      },
    );
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  if (process.channel !== undefined) process.once('disconnect', () => onSignal('SIGTERM'));
}

/**
 * Prints a start-up failure, a plain line when the error says all and a stack trace for a bug,
 * and gives the exit code.
 */
function reportStartFailure(what: string, error: unknown): number {
  if (error instanceof StartupError) {
    if (!error.alreadySaid) log.error(`${what}: ${error.message}`);
  } else if (error instanceof ConfigError) {
    log.error(`${what}: ${error.message}`);
  } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    const { port } = error as { port?: number };
    log.error(`${what}: port ${port ?? ''} is already in use by another program: set PORT to a free one`);
  } else {
    log.error(`${what} failed to start`, error);
    return 1;
  }
  return EXIT_CANNOT_START;
}

/** Runs an entry point's start-up; a failure is reported and exits non-zero (see reportStartFailure). */
export function runMain(what: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.exit(reportStartFailure(what, error));
  });
}

/** Whether a process with this pid exists, on this machine. */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
