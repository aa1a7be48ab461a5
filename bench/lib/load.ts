import autocannon from 'autocannon';

export interface RateResult {
  requestsPerSecond: number;
  latencyMeanMs: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  requests: number;
  /** Connection errors and timeouts. */
  errors: number;
  non2xx: number;
  status5xx: number;
}

/** One bounded autocannon run against loopback. */
export async function hammer(options: autocannon.Options): Promise<RateResult> {
  if (!options.url.startsWith('http://127.0.0.1:')) throw new Error(`refusing to load anything but loopback: ${options.url}`);
  const result = await autocannon({ timeout: 10, ...options });
  return {
    requestsPerSecond: result.requests.total / result.duration,
    latencyMeanMs: result.latency.average,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    status5xx: result['5xx'],
  };
}

export function describeRate(result: RateResult): string {
  const errors = result.errors + result.non2xx;
  return `${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.latencyP50Ms} ms, p99 ${result.latencyP99Ms} ms, ${errors} err`;
}
