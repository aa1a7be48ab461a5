import type { Server } from 'node:http';
import type { Services } from '../../scripts/lib/services';
import type { S3Service } from '../../scripts/lib/versitygw';

/** What the global fixture (tests/support/fixtures.ts) set up once for the whole run. */
export interface Harness {
  baseUrl: string;
  server: Server;
  services: Services;
  folderPath: string;
  /** The environment the in-process app was configured from; child processes reuse it. */
  env: Record<string, string>;
  /** The bucket of a TEST_STORAGE=s3 run. */
  s3?: S3Service;
}

let current: Harness | undefined;

export function setHarness(value: Harness | undefined): void {
  current = value;
}

export function harness(): Harness {
  if (current === undefined) throw new Error('the global test fixture has not run');
  return current;
}
