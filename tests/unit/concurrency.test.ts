import { expect } from 'chai';
import fc from 'fast-check';
import { mapLimit } from '../../utils/concurrency';

describe('mapLimit', () => {
  it('gives every result in the order of the items, never running more than the limit at once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 40 }), fc.integer({ min: 1, max: 8 }), async (delays, limit) => {
        let running = 0;
        let most = 0;
        const results = await mapLimit(delays, limit, async (delay) => {
          running += 1;
          most = Math.max(most, running);
          await new Promise((resolve) => setTimeout(resolve, delay));
          running -= 1;
          return delay * 2;
        });
        expect(results).to.deep.equal(delays.map((delay) => delay * 2));
        expect(most).to.be.at.most(Math.min(limit, Math.max(delays.length, 1)));
      }),
      { numRuns: 50 },
    );
  });

  it('rejects with the first failure', async () => {
    const failure = await mapLimit([1, 2, 3], 2, (item) => (item === 2 ? Promise.reject(new Error('two')) : Promise.resolve(item))).catch((error: Error) => error.message);
    expect(failure).to.equal('two');
  });
});
