import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AppProcess, type ProcessOptions } from '../../scripts/lib/processes';

const started: AppProcess[] = [];

/** Has stopStarted() stop `child`, however the bench ends. */
export function stopAtEnd(child: AppProcess): AppProcess {
  started.push(child);
  return child;
}

/** A process of the bench's; everything it prints goes to `<logDir>/<name>.log`. */
export function startLogged(name: string, entry: string, logDir: string, options: Omit<ProcessOptions, 'logPath'>): AppProcess {
  return stopAtEnd(new AppProcess(entry, { ...options, logPath: path.join(logDir, `${name}.log`) }));
}

/** Stops, in reverse order of start, every process still running. */
export async function stopStarted(): Promise<void> {
  for (const child of started.splice(0).reverse()) await child.stop();
}

export interface Memory {
  rssBytes: number;
  peakBytes: number;
}

export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rssBytes: kib('VmRSS'), peakBytes: kib('VmHWM') };
}

/**
 * Measures how far a process's resident memory rises above where it stood while `work`
 * runs. Writing 5 to clear_refs resets VmHWM to the current RSS, so each measurement
 * starts from the present rather than from the highest point of an earlier scenario.
 */
export async function peakGrowth<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; growthBytes: number }> {
  let resettable = true;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    resettable = false;
  }
  const before = memoryOf(pid);
  const result = await work();
  const after = memoryOf(pid);
  const start = resettable ? before.rssBytes : before.peakBytes;
  return { result, growthBytes: Math.max(after.peakBytes - start, 0) };
}
