import { existsSync } from 'node:fs';
import path from 'node:path';

/** What tooling finds on this machine, and how it says that something it needs is missing. */

export class ServiceSetupError extends Error {
  override name = 'ServiceSetupError';
}

export function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command);
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return undefined;
}
