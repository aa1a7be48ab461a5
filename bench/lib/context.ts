import type { ObjectId } from 'mongodb';
import type { AppProcess } from '../../scripts/lib/processes';

/** Everything a scenario needs: where both servers are, who is logged in, and how long to run. */
export interface BenchContext {
  quick: boolean;
  ours: { url: string; server: AppProcess; worker: AppProcess };
  baseline: { url: string; server: AppProcess };
  /** A logged-in user who owns all seeded data. */
  token: string;
  userId: ObjectId;
  /** The server's FOLDER_PATH. */
  folderPath: string;
  /** Generated inputs; the baseline server serves downloads from here. */
  dataDir: string;
  logDir: string;
}

export function authHeaders(context: BenchContext): Record<string, string> {
  return { 'X-Token': context.token };
}
