/**
 * The failures the CLI explains in one line (or a few) and an exit status. Anything else that
 * reaches the entry point is a bug, and is printed with its stack.
 */

/** Exit statuses, for scripts: 0 is success, 1 a failure, 2 a command line that cannot be run. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The service refused a request: its status and its own message (`{"error": …}`). */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly serviceMessage: string,
    message = `${serviceMessage} (${status})`,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** 507: only freeing space (or a larger quota) changes it, so nothing retries it. */
export const QUOTA_EXCEEDED = 507;

/** No answer at all from the server: nothing else will get one either. */
export class UnreachableError extends CliError {
  constructor(message: string) {
    super(message);
    this.name = 'UnreachableError';
  }
}
