import { expect } from 'chai';
import { redisClient } from '../../utils/redis';
import { storesInUse } from '../../utils/storage/stores';
import { api } from '../support';

/** Runs `body` while `dependency` says it is down, as it would after its connection dropped. */
async function whileDown(dependency: { isAlive(): boolean } | { isAvailable(): boolean }, body: () => Promise<void>): Promise<void> {
  const key = 'isAlive' in dependency ? 'isAlive' : 'isAvailable';
  const target = dependency as Record<typeof key, () => boolean>;
  const original = target[key];
  target[key] = () => false;
  try {
    await body();
  } finally {
    target[key] = original;
  }
}

describe('GET /status and GET /health', () => {
  // Named when the file loads, before the fixture has started anything.
  const storage = process.env.TEST_STORAGE === 's3' ? 'a bucket' : 'the local disk';

  it(`answers /status with exactly {"redis":true,"db":true} on ${storage}`, async () => {
    const response = await api('GET', '/status');
    expect(response.status).to.equal(200);
    expect(response.text).to.equal('{"redis":true,"db":true}');
  });

  it(`answers /health 200 with every dependency up on ${storage}`, async () => {
    const response = await api('GET', '/health');
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal({ db: true, redis: true, storage: true });
  });

  it('answers /health 503 naming the store that is down, and leaves /status as it was', async () => {
    const [configured] = storesInUse();
    if (configured === undefined) throw new Error('no byte store in use');
    await whileDown(configured, async () => {
      const health = await api('GET', '/health');
      expect(health.status).to.equal(503);
      expect(health.body).to.deep.equal({ db: true, redis: true, storage: false });
      expect((await api('GET', '/status')).text).to.equal('{"redis":true,"db":true}');
    });
  });

  it('answers /health 503 when Redis is down, as /status reports it', async () => {
    await whileDown(redisClient, async () => {
      const health = await api('GET', '/health');
      expect(health.status).to.equal(503);
      expect(health.body).to.deep.equal({ db: true, redis: false, storage: true });
      expect((await api('GET', '/status')).body).to.deep.equal({ redis: false, db: true });
    });
  });
});
