/** The files of a transfer, a few at a time; a failure that every other file would meet too ends the run. */
import { mapLimit } from '../../utils/concurrency';
import { ApiError, CliError, QUOTA_EXCEEDED, UnreachableError } from '../errors';
import type { TransferProgress } from './progress';
import type { Tally } from './tally';

/** No server, no session, no room: trying the next file would fail the same way. */
function endsTheRun(error: CliError): boolean {
  return error instanceof UnreachableError || (error instanceof ApiError && (error.status === 401 || error.status === QUOTA_EXCEEDED));
}

/**
 * Runs `work` on each item, `jobs` at a time. A file's failure is reported and counted, and the
 * others go on; a failure that ends the run leaves the files not yet begun untried, and is
 * returned for the command to explain after its summary.
 */
export async function runJobs<T>(
  items: readonly T[],
  jobs: number,
  report: { tally: Tally; progress: TransferProgress; name: (item: T) => string },
  work: (item: T) => Promise<void>,
): Promise<CliError | undefined> {
  let ended: CliError | undefined;
  await mapLimit(items, jobs, async (item) => {
    if (ended !== undefined) {
      report.tally.notStarted += 1;
      return;
    }
    try {
      await work(item);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      report.tally.failed += 1;
      report.progress.log(`files-manager: ${report.name(item)}: ${error.message}`);
      if (endsTheRun(error)) ended ??= error;
    }
  });
  return ended;
}
