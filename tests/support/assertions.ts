import { waitFor as poll } from '../../scripts/lib/wait';
import { setLogSink } from '../../utils/log';
import type { ApiResponse } from './http';

/** Asserts the response is exactly `{"error": message}` with `status`. */
export function expectError(response: Pick<ApiResponse, 'status' | 'text'>, status: number, message: string): void {
  if (response.status !== status || response.text !== JSON.stringify({ error: message })) {
    throw new Error(`expected ${status} ${JSON.stringify({ error: message })}, got ${response.status} ${response.text}`);
  }
}

/** The error `promise` rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** Polls every 200 ms for up to 30 s by default: what most tests wait for is a job or a request. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 200): Promise<T> {
  return poll(what, check, timeoutMs, intervalMs);
}

/**
 * Runs `work` with everything the process prints or logs recorded instead (the log does not
 * reach the console in this tier: serverLog.ts), and returns it line by line.
 */
export async function captureOutput(work: () => Promise<unknown>): Promise<string[]> {
  const output: string[] = [];
  const writes = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  const capture = (chunk: unknown): boolean => {
    output.push(String(chunk));
    return true;
  };
  process.stdout.write = capture;
  process.stderr.write = capture;
  const sink = setLogSink((_level, line) => output.push(`${line}\n`));
  try {
    await work();
  } finally {
    setLogSink(sink);
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
  }
  return output.join('').split('\n').filter((line) => line !== '');
}
