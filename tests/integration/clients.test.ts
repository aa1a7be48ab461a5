import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { DBClient, dbClient, type UserDoc } from '../../utils/db';
import { RedisClient, redisClient } from '../../utils/redis';
import { harness, rejection, uniqueEmail, waitFor } from '../support';

const key = (): string => `clients_test_${randomBytes(6).toString('hex')}`;

describe('redisClient', () => {
  it('is alive once connected to the real Redis', () => {
    expect(redisClient.isAlive()).to.equal(true);
  });

  it('is alive after connect() and not after close()', async () => {
    const client = new RedisClient();
    await client.connect(harness().env.REDIS_URL ?? '');
    expect(client.isAlive()).to.equal(true);
    await client.close();
    expect(client.isAlive()).to.equal(false);
    await client.close();
  });

  it('connects by itself on first use, as the seeds use it: isAlive() turns true, set() takes a number', async () => {
    const client = new RedisClient();
    await waitFor('isAlive() to turn true', () => Promise.resolve(client.isAlive() ? true : undefined), 5000, 20);
    const name = key();
    await client.set(name, 12, 5);
    expect(await client.get(name)).to.equal('12');
    await client.close();
  });

  it('reads back what set() stored, and null for a key that does not exist', async () => {
    const name = key();
    expect(await redisClient.get(name)).to.equal(null);
    await redisClient.set(name, 'some value', 60);
    expect(await redisClient.get(name)).to.equal('some value');
  });

  it('sets the key with the given duration as its TTL', async () => {
    const name = key();
    await redisClient.set(name, 'v', 120);
    const ttl = await redisClient.ttl(name);
    expect(ttl).to.be.within(115, 120);
  });

  it('lets a key expire after its duration', async () => {
    const name = key();
    await redisClient.set(name, 'short-lived', 1);
    expect(await redisClient.get(name)).to.equal('short-lived');
    await waitFor('the key to expire', async () => ((await redisClient.get(name)) === null ? true : undefined), 5000, 100);
  });

  it('deletes a key with del(), and del() of a missing key is harmless', async () => {
    const name = key();
    await redisClient.set(name, 'v', 60);
    await redisClient.del(name);
    expect(await redisClient.get(name)).to.equal(null);
    await redisClient.del(name);
    expect(await redisClient.get(name)).to.equal(null);
  });
});

describe('dbClient', () => {
  it('is alive once connected to the real database', () => {
    expect(dbClient.isAlive()).to.equal(true);
  });

  it('is not alive before connect() nor after close()', async () => {
    const client = new DBClient();
    expect(client.isAlive()).to.equal(false);
    const { DB_URL, DB_DATABASE } = harness().env;
    await client.connect(DB_URL ?? '', DB_DATABASE ?? '');
    expect(client.isAlive()).to.equal(true);
    expect(await client.nbUsers()).to.equal(await dbClient.users.countDocuments());
    await client.close();
    expect(client.isAlive()).to.equal(false);
  });

  it('counts the users collection with nbUsers()', async () => {
    const before = await dbClient.nbUsers();
    expect(before).to.equal(await dbClient.users.countDocuments());
    const { insertedId } = await dbClient.users.insertOne({ email: uniqueEmail(), password: 'x' } as UserDoc);
    expect(await dbClient.nbUsers()).to.equal(before + 1);
    await dbClient.users.deleteOne({ _id: insertedId });
    expect(await dbClient.nbUsers()).to.equal(before);
  });

  it('counts the files collection with nbFiles()', async () => {
    const before = await dbClient.nbFiles();
    expect(before).to.equal(await dbClient.files.countDocuments());
    const docs = [1, 2].map(() => ({ _id: new ObjectId(), userId: new ObjectId(), name: 'n', type: 'folder' as const, parentId: 0 as const }));
    await dbClient.files.insertMany(docs);
    expect(await dbClient.nbFiles()).to.equal(before + 2);
    await dbClient.files.deleteMany({ _id: { $in: docs.map((doc) => doc._id) } });
    expect(await dbClient.nbFiles()).to.equal(before);
  });

  it('enforces a unique email on the users collection', async () => {
    const email = uniqueEmail();
    const { insertedId } = await dbClient.users.insertOne({ email, password: 'x' } as UserDoc);
    await rejection(dbClient.users.insertOne({ email, password: 'y' } as UserDoc));
    expect(await dbClient.users.countDocuments({ email })).to.equal(1);
    await dbClient.users.deleteOne({ _id: insertedId });
  });
});
