import { setLogSink } from '../../utils/log';

/** What the in-process app logged since the last takeServerLog(). */
const lines: string[] = [];

/**
 * The app runs inside mocha's process, so its log would land between the test titles; it is
 * kept here instead, for the test that fails to show (fixtures.ts). What the server prints
 * when run on its own is unchanged.
 */
export function silenceServerLog(): void {
  setLogSink((_level, line) => {
    lines.push(line);
  });
}

export function takeServerLog(): string[] {
  return lines.splice(0);
}
