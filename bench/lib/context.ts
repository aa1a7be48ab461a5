import type { ObjectId } from 'mongodb';
import type { AppProcess } from '../../scripts/lib/processes';

/** Everything a scenario needs: where both servers are, who is logged in, and how long to run. */
export interface BenchContext {
  quick: boolean;
  /** Our server and worker, and how they were started (a scenario may start another like them). */
  ours: { url: string; server: AppProcess; worker: AppProcess; env: Record<string, string>; runtime: 'js' | 'ts' };
  /** The bare node:http ceilings, and (expressUrl) a bare Express app with our security headers. */
  baseline: { url: string; expressUrl: string; server: AppProcess };
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
