import path from 'node:path';
import { uploadFile } from '../lib/api';
import { authHeaders, type BenchContext } from '../lib/context';
import { writeRandomFile } from '../lib/data';
import { downloadLoad, type TransferResult } from '../lib/http';
import { peakGrowth } from '../lib/processes';
import { fixed, MIB, mib, ratioOf, type Row, type Table } from '../lib/report';

/** Against a bare pipe: a small file pays for the lookups before its first byte, a large one hardly. */
const TARGET_RATIO = { small: 0.8, large: 0.9 };
/**
 * How much more a 100 MiB download may grow the server's memory than a 1 MiB one: well under
 * one file, yet above the tens of MiB V8 lets garbage reach before it collects.
 */
const RSS_SLACK_BYTES = 32 * MIB;

interface Measured {
  transfer: TransferResult;
  growthBytes: number;
}

function describe(measured: Measured): string {
  return `${fixed(measured.transfer.bytesPerSecond / MIB)} MiB/s, RSS +${mib(measured.growthBytes)}`;
}

/** Fastest transfer, and the largest memory growth seen in any round. */
function best(runs: readonly Measured[]): Measured {
  const fastest = runs.reduce((a, b) => (b.transfer.bytesPerSecond > a.transfer.bytesPerSecond ? b : a));
  return { transfer: fastest.transfer, growthBytes: Math.max(...runs.map((run) => run.growthBytes)) };
}

/** Scenario 2: `GET /files/:id/data` against piping a read stream, and against readFile + end. */
export async function runDownloads(context: BenchContext): Promise<Table> {
  const sizes = [1 * MIB, 100 * MIB];
  const rounds = context.quick ? 1 : 3;
  const rows: Row[] = [];
  const oursGrowth = new Map<string, number>();
  const readFileGrowth = new Map<string, number>();
  for (const size of sizes) {
    const name = `download-${size / MIB}MiB.bin`;
    const file = path.join(context.dataDir, name);
    await writeRandomFile(file, size);
    const id = await uploadFile(context.ours.url, context.token, file, size, { name, type: 'file' });
    const large = size > MIB;
    for (const connections of [1, 8]) {
      // Small files: a timed run. Large ones: a fixed number each, so a run stays bounded.
      const durationMs = large ? 0 : context.quick ? 1000 : 4000;
      const measure = async (pid: number, url: string, headers: Record<string, string>): Promise<Measured> => {
        // The first requests open connections and fill caches; a 100 MiB file warms itself.
        if (!large) await downloadLoad(url, headers, connections, 0, 1);
        const { result, growthBytes } = await peakGrowth(pid, () =>
          downloadLoad(url, headers, connections, durationMs, 1),
        );
        return { transfer: result, growthBytes };
      };
      const sides = {
        ours: () => measure(context.ours.server.pid, `${context.ours.url}/files/${id}/data`, authHeaders(context)),
        piped: () => measure(context.baseline.server.pid, `${context.baseline.url}/stream?name=${name}`, {}),
        readFile: () => measure(context.baseline.server.pid, `${context.baseline.url}/readfile?name=${name}`, {}),
        lookups: () => measure(context.baseline.server.pid, `${context.baseline.url}/files/${id}/data`, authHeaders(context)),
      };
      const runs: Record<keyof typeof sides, Measured[]> = { ours: [], piped: [], readFile: [], lookups: [] };
      // Rounds alternate the sides; the best round of each is the one least disturbed by
      // whatever else this shared machine was doing.
      for (let round = 0; round < rounds; round += 1) {
        for (const side of Object.keys(sides) as (keyof typeof sides)[]) runs[side].push(await sides[side]());
      }
      const ours = best(runs.ours);
      const piped = best(runs.piped);
      const readFile = best(runs.readFile);
      const lookups = best(runs.lookups);
      const target = large ? TARGET_RATIO.large : TARGET_RATIO.small;
      const label = `${size / MIB} MiB x${connections}`;
      oursGrowth.set(label, ours.growthBytes);
      readFileGrowth.set(label, readFile.growthBytes);
      const ratio = ratioOf(ours.transfer.bytesPerSecond, piped.transfer.bytesPerSecond);
      rows.push({
        scenario: `download ${label} vs createReadStream.pipe`,
        ours: describe(ours),
        baseline: describe(piped),
        ratio,
        target: `>= ${fixed(target, 2)}x`,
        met: ratio !== undefined && ratio >= target,
        data: { ours, baseline: piped },
      });
      rows.push({
        scenario: `download ${label} vs the same lookups + pipe`,
        ours: describe(ours),
        baseline: describe(lookups),
        ratio: ratioOf(ours.transfer.bytesPerSecond, lookups.transfer.bytesPerSecond),
        target: 'reported',
        met: undefined,
        data: { ours, baseline: lookups },
      });
      rows.push({
        scenario: `download ${label} vs readFile + end`,
        ours: describe(ours),
        baseline: describe(readFile),
        ratio: ratioOf(ours.transfer.bytesPerSecond, readFile.transfer.bytesPerSecond),
        target: 'reported',
        met: undefined,
        data: { ours, baseline: readFile },
      });
    }
  }
  for (const connections of [1, 8]) {
    const small = oursGrowth.get(`1 MiB x${connections}`) ?? NaN;
    const large = oursGrowth.get(`100 MiB x${connections}`) ?? NaN;
    rows.push({
      scenario: `RSS growth x${connections}: 100 MiB vs 1 MiB`,
      ours: `+${mib(large)} vs +${mib(small)}`,
      baseline: `readFile: +${mib(readFileGrowth.get(`100 MiB x${connections}`) ?? NaN)} vs +${mib(readFileGrowth.get(`1 MiB x${connections}`) ?? NaN)}`,
      ratio: undefined,
      target: `independent of size (< ${mib(RSS_SLACK_BYTES)} apart)`,
      met: large - small < RSS_SLACK_BYTES,
    });
  }
  return { title: `2. Downloads (best of ${rounds} round${rounds > 1 ? 's' : ''}; RSS growth: the largest seen)`, rows };
}
