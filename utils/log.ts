import { inspect } from 'node:util';

/**
 * One place for process output, so the format can change without touching callers.
 * Tokens and passwords are never passed here.
 */
export const log = {
  info(message: string): void {
    console.log(message);
  },
  warn(message: string): void {
    console.warn(`warning: ${message}`);
  },
  error(message: string, error?: unknown): void {
    const detail = error instanceof Error ? (error.stack ?? error.message) : error === undefined ? '' : inspect(error);
    console.error(detail ? `${message}: ${detail}` : message);
  },
};
