import { authHeaders, type BenchContext } from '../lib/context';
import { request } from '../../scripts/lib/client';
import { timed } from '../lib/http';
import { removeBigFolder, seedBigFolder } from '../lib/seed';
import { describeRate, hammer, type RateResult } from '../lib/load';
import { fixed, median, ratioOf, type Row, type Table } from '../lib/report';

const CONNECTIONS = 10;
/** Endpoints slower than this per request are measured by count, not by time; see planFor. */
const SLOW_MS = 20;
const SLOW_CONNECTIONS = 2;
const PROBES = 5;
const WARM_UP_SECONDS = 0.5;
const PROBE_BUDGET_MS = 1000;
const SEEDED_FILES = 10_000;
const TARGET_RATIO = 0.6;
/** GET /status does no I/O: its ceiling is the framework itself, with the same headers. */
const STATUS_TARGET_RATIO = 0.8;
/** Page 499 may take at most this many times as long as page 0. */
const DEEP_PAGE_FACTOR = 2;
/** A sorted, filtered, searched or cursor page may take at most this many times as long as the contract's page 0. */
const LISTING_FACTOR = 2;

interface Endpoint {
  name: string;
  path: string;
  authenticated: boolean;
}

/** Checks the answer, warms the path up, and returns the median latency of sequential requests. */
async function probe(url: string, headers: Record<string, string>): Promise<number> {
  const latencies: number[] = [];
  const deadline = Date.now() + PROBE_BUDGET_MS;
  for (let index = 0; index < PROBES && (index === 0 || Date.now() < deadline); index += 1) {
    const { result, seconds } = await timed(() => request('GET', url, { headers }));
    // A wrong answer served fast would be a meaningless figure.
    if (result.status !== 200) throw new Error(`GET ${url} answered ${result.status}: ${result.text.slice(0, 200)}`);
    latencies.push(seconds * 1000);
  }
  return median(latencies);
}

/**
 * A timed run abandons the requests in flight when it ends, and the server keeps working
 * on them; for a slow query that backlog would be charged to whatever runs next. Slow
 * endpoints therefore get a fixed number of requests, sized to last about `duration`,
 * from as many connections as there are cores, and the run ends when the last answer is in.
 */
function planFor(latencyMs: number, duration: number): { connections: number; duration?: number; amount?: number } {
  if (latencyMs < SLOW_MS) return { connections: CONNECTIONS, duration };
  return { connections: SLOW_CONNECTIONS, amount: Math.max(2 * SLOW_CONNECTIONS, Math.ceil((duration * 1000) / latencyMs) * SLOW_CONNECTIONS) };
}

/** Scenario 1: the service's metadata endpoints against a bare node:http server doing the same queries. */
export async function runMetadata(context: BenchContext): Promise<Table> {
  const { folderId, sampleFileId } = await seedBigFolder(context, SEEDED_FILES);
  try {
    return await measureEndpoints(context, folderId, sampleFileId);
  } finally {
    // Without an index to use, FerretDB scans the whole collection for most queries: left
    // in place, this folder would slow every later scenario down by its mere presence.
    await removeBigFolder(context, folderId);
  }
}

async function measureEndpoints(context: BenchContext, folder: string, sampleFileId: string): Promise<Table> {
  const endpoints: Endpoint[] = [
    { name: 'GET /status', path: '/status', authenticated: false },
    { name: 'GET /users/me', path: '/users/me', authenticated: true },
    { name: 'GET /files/:id', path: `/files/${sampleFileId}`, authenticated: true },
    ...[0, 50, 499].map((page) => ({
      name: `GET /files page=${page}`,
      path: `/files?parentId=${folder}&page=${page}`,
      authenticated: true,
    })),
  ];
  const duration = context.quick ? 1.5 : 8;

  const rows: Row[] = [];
  const oursByPage = new Map<string, RateResult>();
  for (const endpoint of endpoints) {
    const headers = endpoint.authenticated ? authHeaders(context) : {};
    // One plan, chosen on ours, applied to both sides so they carry the same load.
    const plan = planFor(await probe(context.ours.url + endpoint.path, headers), duration);
    await probe(context.baseline.url + endpoint.path, headers);
    if (plan.amount === undefined) {
      for (const baseUrl of [context.ours.url, context.baseline.url]) {
        await hammer({ url: baseUrl + endpoint.path, headers, connections: plan.connections, duration: WARM_UP_SECONDS });
      }
    }
    const ours = await hammer({ url: context.ours.url + endpoint.path, headers, ...plan });
    const baseline = await hammer({ url: context.baseline.url + endpoint.path, headers, ...plan });
    oursByPage.set(endpoint.name, ours);
    const ratio = ratioOf(ours.requestsPerSecond, baseline.requestsPerSecond);
    const clean = ours.errors === 0 && ours.non2xx === 0;
    const load = plan.amount === undefined ? `${plan.connections} conns, ${duration} s` : `${plan.connections} conns, ${plan.amount} reqs`;
    const bareExpress = endpoint.path === '/status';
    rows.push({
      scenario: `${endpoint.name} (${load})${bareExpress ? ' vs bare node:http' : ''}`,
      ours: describeRate(ours),
      baseline: describeRate(baseline),
      ratio,
      target: bareExpress ? 'reported' : `>= ${fixed(TARGET_RATIO, 2)}x, 0 errors`,
      met: bareExpress ? undefined : ratio !== undefined && ratio >= TARGET_RATIO && clean,
      data: { plan, ours, baseline },
    });
    if (bareExpress) {
      await hammer({ url: context.baseline.expressUrl + endpoint.path, headers, connections: plan.connections, duration: WARM_UP_SECONDS });
      const framework = await hammer({ url: context.baseline.expressUrl + endpoint.path, headers, ...plan });
      const frameworkRatio = ratioOf(ours.requestsPerSecond, framework.requestsPerSecond);
      rows.push({
        scenario: `${endpoint.name} (${load}) vs bare Express + the same headers`,
        ours: describeRate(ours),
        baseline: describeRate(framework),
        ratio: frameworkRatio,
        target: `>= ${fixed(STATUS_TARGET_RATIO, 2)}x, 0 errors`,
        met: frameworkRatio !== undefined && frameworkRatio >= STATUS_TARGET_RATIO && clean,
        data: { plan, ours, baseline: framework },
      });
    }
  }

  const first = oursByPage.get('GET /files page=0');
  const deep = oursByPage.get('GET /files page=499');
  if (first !== undefined && deep !== undefined) {
    // Same connection count for both, so mean latency is the time one page costs.
    const ratio = ratioOf(first.latencyMeanMs, deep.latencyMeanMs);
    rows.push({
      scenario: 'page=499 vs page=0 (ours, mean latency)',
      ours: `${fixed(deep.latencyMeanMs, 1)} ms at page 499`,
      baseline: `${fixed(first.latencyMeanMs, 1)} ms at page 0`,
      ratio,
      target: `>= ${fixed(1 / DEEP_PAGE_FACTOR, 2)}x (499 no slower than ${DEEP_PAGE_FACTOR}x page 0)`,
      met: ratio !== undefined && ratio >= 1 / DEEP_PAGE_FACTOR,
    });
  }
  rows.push(...(await measureListings(context, folder, duration)));
  return { title: '1. Metadata requests', rows };
}

/** The path and query of a page's Link to the next one. */
async function nextPageOf(context: BenchContext, path: string): Promise<string> {
  const reply = await request('GET', context.ours.url + path, { headers: authHeaders(context) });
  const next = /^<([^>]+)>/.exec(reply.headers.get('link') ?? '')?.[1];
  if (reply.status !== 200 || next === undefined) throw new Error(`GET ${path} answered ${reply.status} without a next page`);
  const url = new URL(next);
  return url.pathname + url.search;
}

/**
 * The listing's newer parameters against the contract's page 0 of the same folder, on ours: on
 * MongoDB an index serves each; on FerretDB each is the same one scan as the contract's page.
 */
async function measureListings(context: BenchContext, folder: string, duration: number): Promise<Row[]> {
  const headers = authHeaders(context);
  const contractPath = `/files?parentId=${folder}&page=0`;
  // One plan for all, chosen on the contract's page, so mean latencies compare.
  const plan = planFor(await probe(context.ours.url + contractPath, headers), duration);
  const contract = await hammer({ url: context.ours.url + contractPath, headers, ...plan });
  const listings: Omit<Endpoint, 'authenticated'>[] = [
    { name: 'sort=name', path: `/files?parentId=${folder}&sort=name` },
    { name: 'sort=-size&fields=all', path: `/files?parentId=${folder}&sort=-size&fields=all` },
    { name: 'q=…&recursive=true from the root', path: `/files?q=${encodeURIComponent('-0999')}&recursive=true&sort=name` },
    { name: 'type=folder', path: `/files?parentId=${folder}&type=folder` },
    { name: 'a cursor 5,000 in, by name', path: await nextPageOf(context, `/files?parentId=${folder}&sort=name&limit=50&page=99`) },
  ];
  const rows: Row[] = [];
  for (const listing of listings) {
    await probe(context.ours.url + listing.path, headers);
    const ours = await hammer({ url: context.ours.url + listing.path, headers, ...plan });
    const ratio = ratioOf(contract.latencyMeanMs, ours.latencyMeanMs);
    rows.push({
      scenario: `GET /files ${listing.name} vs the contract's page 0 (ours, mean latency)`,
      ours: `${fixed(ours.latencyMeanMs, 1)} ms`,
      baseline: `${fixed(contract.latencyMeanMs, 1)} ms`,
      ratio,
      target: `>= ${fixed(1 / LISTING_FACTOR, 2)}x, 0 errors`,
      met: ratio !== undefined && ratio >= 1 / LISTING_FACTOR && ours.errors === 0 && ours.non2xx === 0,
      data: { plan, ours, contract },
    });
  }
  return rows;
}
