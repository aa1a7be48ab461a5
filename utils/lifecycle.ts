import { ConfigError } from './config';
import { log } from './log';

/**
 * Runs `stop` once on the first SIGTERM or SIGINT and exits with 0 when it succeeds, 1 when
 * it fails or takes longer than `timeoutMs`. A second signal exits at once.
 */
export function stopOnSignals(what: string, stop: () => Promise<void>, timeoutMs = 30_000): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.info(`${what}: ${signal} again, exiting now`);
      process.exit(1);
    }
    stopping = true;
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
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Runs an entry point's start-up; a failure is logged (a bad configuration as its plain list) and exits 1. */
export function runMain(what: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (error instanceof ConfigError) log.error(`${what}: ${error.message}`);
    else log.error(`${what} failed to start`, error);
    process.exit(1);
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
