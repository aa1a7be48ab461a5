import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { HttpError } from '../../utils/errors';
import { withTreeLock } from '../../utils/files/treeLock';
import { redisClient } from '../../utils/redis';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stand-in for a server that took `owner`'s lock and died: a token nobody will renew or release, expiring in `ms`. */
async function abandonedLock(owner: ObjectId, ms: number): Promise<void> {
  await redisClient.eval(`return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])`, [`tree_lock_${owner.toHexString()}`], ['1:dead-server', String(ms)]);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('the tree lock', () => {
  it('runs one change of an owner at a time, and changes of two owners side by side', async () => {
    const [owner, other] = [new ObjectId(), new ObjectId()];
    const events: string[] = [];
    const change = (who: ObjectId, name: string) =>
      withTreeLock(who, async () => {
        events.push(`${name} start`);
        await sleep(150);
        events.push(`${name} end`);
      });
    await Promise.all([change(owner, 'a'), sleep(20).then(() => change(owner, 'b')), sleep(40).then(() => change(other, 'c'))]);
    expect(events.indexOf('b start')).to.be.greaterThan(events.indexOf('a end'));
    expect(events.indexOf('c start')).to.be.lessThan(events.indexOf('a end'));
  });

  it('is free again once a holder that died lets it expire', async () => {
    const owner = new ObjectId();
    await abandonedLock(owner, 400);
    const started = Date.now();
    await withTreeLock(owner, () => Promise.resolve());
    expect(Date.now() - started).to.be.within(300, 3_000);
  });

  it('gives each holder a larger fencing number, and frees the lock when the work fails', async () => {
    const owner = new ObjectId();
    const tokens: string[] = [];
    const lockKey = `tree_lock_${owner.toHexString()}`;
    await withTreeLock(owner, async () => {
      tokens.push((await redisClient.get(lockKey)) ?? '');
    });
    const failure = await rejection(
      withTreeLock(owner, async () => {
        tokens.push((await redisClient.get(lockKey)) ?? '');
        throw new Error('the work failed');
      }),
    );
    expect((failure as Error).message).to.equal('the work failed');
    const [first, second] = tokens.map((token) => Number(token.split(':')[0]));
    expect(second).to.be.greaterThan(first as number);
    expect(await redisClient.get(lockKey)).to.equal(null);
  });

  it('fences off a holder whose lock expired and went to another: assertHeld answers 409, and its release leaves the new holder alone', async () => {
    const owner = new ObjectId();
    const lockKey = `tree_lock_${owner.toHexString()}`;
    const failure = await rejection(
      withTreeLock(owner, async (lock) => {
        await lock.assertHeld();
        // The holder was paused past the expiry and another server took the lock meanwhile.
        await redisClient.del(lockKey);
        await abandonedLock(owner, 10_000);
        await lock.assertHeld();
      }),
    );
    expect(failure).to.be.instanceOf(HttpError);
    expect((failure as HttpError).status).to.equal(409);
    expect(await redisClient.get(lockKey)).to.equal('1:dead-server');
    await redisClient.del(lockKey);
  });
});
