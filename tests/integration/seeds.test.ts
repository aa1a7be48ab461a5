import { expect } from 'chai';
import { AppProcess } from '../../scripts/lib/processes';
import { dbClient } from '../../utils/db';
import { harness } from '../support';

/** Runs one of the seeds' example scripts with ts-node against the suite's services; it must exit by itself. */
async function runSeedScript(name: string, timeoutMs: number): Promise<string[]> {
  const script = new AppProcess(`tests/support/seeds/${name}`, { env: harness().env });
  const timer = setTimeout(() => script.signal('SIGKILL'), timeoutMs);
  const exit = await script.exited;
  clearTimeout(timer);
  expect(exit, `${name} did not exit by itself:\n${script.output}`).to.deep.equal({ code: 0, signal: null });
  return script.output.trimEnd().split('\n');
}

describe("the seeds' example scripts", () => {
  it('redisClient: alive, null, 12, then null once the 5 s expiry has passed, and the script exits', async function () {
    this.timeout(40_000);
    this.slow(15_000);
    const lines = await runSeedScript('redis-main', 30_000);
    // isAlive() may still be false while the first connection is being made; the rest is exact.
    expect(lines).to.have.length(4);
    expect(['true', 'false']).to.include(lines[0]);
    expect(lines.slice(1)).to.deep.equal(['null', '12', 'null']);
  });

  it('dbClient: not alive at first, alive by itself within the poll, then the two counts, and the script exits', async function () {
    this.timeout(40_000);
    this.slow(5000);
    const [users, files] = [await dbClient.nbUsers(), await dbClient.nbFiles()];
    const lines = await runSeedScript('db-main', 30_000);
    expect(lines).to.have.length(4);
    expect(lines.slice(0, 2)).to.deep.equal(['false', 'true']);
    // Other tests may add documents meanwhile, never remove them.
    expect(Number(lines[2])).to.be.at.least(users);
    expect(Number(lines[3])).to.be.at.least(files);
  });
});
