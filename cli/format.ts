/** How the CLI writes sizes, rates, times and tables, and reads durations. */
import { CliError, EXIT_USAGE } from './errors';

/** Binary units, as the web app shows them (web/src/media.ts). */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** Columns padded to their widest cell; the last is not padded, so lines end without blanks. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ')).join('\n');
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `90`, `45s`, `30m`, `1h`, `7d`, `2w`, `1.5h` → seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhdw]?)$/.exec(text.trim());
  const seconds = match === null ? NaN : Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? NaN);
  if (!(seconds > 0)) throw new CliError(`Invalid duration "${text}": a number with s, m, h, d or w (30m, 1h, 7d)`, EXIT_USAGE);
  return Math.round(seconds);
}

export function parseCount(text: string, what: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new CliError(`Invalid ${what} "${text}": a whole number of 1 or more`, EXIT_USAGE);
  return Number(text);
}
