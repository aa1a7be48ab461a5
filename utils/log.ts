import { inspect } from 'node:util';

type LogLevel = 'info' | 'warn' | 'error';

/** Takes each finished line; the level names the console method it is meant for. */
export type LogSink = (level: LogLevel, line: string) => void;

/** What the server always prints: info on stdout, warnings and errors on stderr. */
const consoleSink: LogSink = (level, line) => {
  console[level](line);
};

let sink: LogSink = consoleSink;

/**
 * Sends every line to `next` instead of the console, for a test tier that runs the server
 * in-process and must keep its output out of the test report. Returns the sink it replaces,
 * so a caller can put it back.
 */
export function setLogSink(next: LogSink): LogSink {
  const previous = sink;
  sink = next;
  return previous;
}

/**
 * One place for process output, so the format can change without touching callers.
 * Tokens and passwords are never passed here.
 */
export const log = {
  info(message: string): void {
    sink('info', message);
  },
  warn(message: string): void {
    sink('warn', `warning: ${message}`);
  },
  error(message: string, error?: unknown): void {
    const detail = error instanceof Error ? (error.stack ?? error.message) : error === undefined ? '' : inspect(error);
    sink('error', detail ? `${message}: ${detail}` : message);
  },
};
