/** One line of a scenario's table. `met` is undefined for figures reported without a target. */
export interface Row {
  scenario: string;
  ours: string;
  baseline: string;
  /** ours relative to the baseline, oriented so that higher is better for ours. */
  ratio: number | undefined;
  target: string;
  met: boolean | undefined;
  /** Raw numbers behind the cells, for latest.json. */
  data?: Record<string, unknown>;
}

export interface Table {
  title: string;
  rows: Row[];
}

export const MIB = 1024 * 1024;

export function fixed(value: number, digits = 0): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

export function mib(bytes: number): string {
  return `${fixed(bytes / MIB, 1)} MiB`;
}

export function ratioOf(ours: number, baseline: number): number | undefined {
  return baseline > 0 && Number.isFinite(ours) && Number.isFinite(baseline) ? ours / baseline : undefined;
}

/** One transfer (an upload) as measured: its wall time, and how much the server grew meanwhile. */
export interface Transfer {
  seconds: number;
  growthBytes: number;
}

export function describeTransfer(measured: Transfer, bytes: number): string {
  return `${fixed(measured.seconds, 2)} s (${fixed(bytes / MIB / measured.seconds)} MiB/s), RSS +${mib(measured.growthBytes)}`;
}

/** Several runs of one transfer: the median time, and the largest growth any run saw. */
export function summarizeTransfers(runs: readonly Transfer[]): Transfer {
  return { seconds: median(runs.map((run) => run.seconds)), growthBytes: Math.max(...runs.map((run) => run.growthBytes)) };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

const HEADER = ['scenario', 'ours', 'baseline', 'ratio', 'target', 'met?'] as const;

function cells(row: Row): string[] {
  const met = row.met === undefined ? '-' : row.met ? 'yes' : 'NO';
  return [row.scenario, row.ours, row.baseline, row.ratio === undefined ? '-' : `${fixed(row.ratio, 2)}x`, row.target, met];
}

/** A Markdown table, so the same text reads in a terminal and pastes into bench/README.md. */
export function formatTable(table: Table): string {
  const lines = [HEADER as readonly string[], ...table.rows.map(cells)];
  const widths = HEADER.map((_, column) => Math.max(...lines.map((line) => (line[column] ?? '').length)));
  const format = (line: readonly string[]): string =>
    `| ${line.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [`### ${table.title}`, '', format(HEADER), rule, ...table.rows.map((row) => format(cells(row)))].join('\n');
}

export function missedLines(tables: readonly Table[]): string[] {
  return tables.flatMap((table) =>
    table.rows
      .filter((row) => row.met === false)
      .map((row) => `MISSED: ${table.title}: ${row.scenario}: ours ${row.ours}, baseline ${row.baseline}, target ${row.target}`),
  );
}
