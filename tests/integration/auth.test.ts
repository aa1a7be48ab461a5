import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { createClient } from 'redis';
import { validate as isUuid, version as uuidVersion } from 'uuid';
import { dbClient } from '../../utils/db';
import { redisClient } from '../../utils/redis';
import { api, type ApiResponse, basicAuth, createUser, harness, uniqueEmail } from '../support';

function expectUnauthorized(response: ApiResponse): void {
  expect(response.status, response.text).to.equal(401);
  expect(response.text).to.equal('{"error":"Unauthorized"}');
}

type Redis = ReturnType<typeof createClient>;

/**
 * A Redis connection of the suite's own, for what the app's client does not offer (KEYS, TTL,
 * SET without expiry); opened and closed by the calling describe's hooks.
 */
function ownRedis(): () => Redis {
  let client: Redis | undefined;
  before(async () => {
    client = createClient({ url: harness().env.REDIS_URL });
    await client.connect();
  });
  after(async () => {
    await client?.quit();
  });
  return () => {
    if (client === undefined) throw new Error('ownRedis() is only usable inside its describe');
    return client;
  };
}

async function authKeys(redis: Redis): Promise<string[]> {
  return (await redis.keys('auth_*')).sort();
}

async function signUp(password = `pw-${randomBytes(4).toString('hex')}`): Promise<{ id: string; email: string; password: string }> {
  const email = uniqueEmail();
  const response = await api('POST', '/users', { json: { email, password } });
  expect(response.status).to.equal(201);
  return { id: (response.body as { id: string }).id, email, password };
}

describe('GET /connect', () => {
  const redis = ownRedis();
  const connect = (authorization?: string): Promise<ApiResponse> =>
    api('GET', '/connect', { headers: authorization === undefined ? {} : { Authorization: authorization } });

  describe('refuses with 401 "Unauthorized" and writes no key', () => {
    const cases: [string, (user: { email: string; password: string }) => string | undefined][] = [
      ['no Authorization header', () => undefined],
      ['another scheme', (user) => `Bearer ${Buffer.from(`${user.email}:${user.password}`).toString('base64')}`],
      ['a Basic header without credentials', () => 'Basic'],
      ['credentials that are not base64', () => 'Basic !!!not-base64***'],
      ['credentials without a colon', (user) => `Basic ${Buffer.from(user.email + user.password).toString('base64')}`],
      ['an unknown email', (user) => basicAuth(uniqueEmail(), user.password)],
      ['a wrong password', (user) => basicAuth(user.email, `${user.password}x`)],
      ['an empty password', (user) => basicAuth(user.email, '')],
      ['the email in another case', (user) => basicAuth(user.email.toUpperCase(), user.password)],
    ];
    for (const [what, header] of cases) {
      it(`for ${what}`, async () => {
        const user = await signUp();
        const before = await authKeys(redis());
        expectUnauthorized(await connect(header(user)));
        expect(await authKeys(redis())).to.deep.equal(before);
      });
    }
  });

  it('answers 200 {"token"} with a uuid v4 token', async () => {
    const user = await signUp();
    const response = await connect(basicAuth(user.email, user.password));
    expect(response.status).to.equal(200);
    expect(Object.keys(response.body as object)).to.deep.equal(['token']);
    const { token } = response.body as { token: string };
    expect(isUuid(token)).to.equal(true);
    expect(uuidVersion(token)).to.equal(4);
  });

  it('stores auth_<token> → the user id as 24-char hex, with a TTL of 24 hours', async () => {
    const user = await signUp();
    const { token } = (await connect(basicAuth(user.email, user.password))).body as { token: string };
    expect(await redis().get(`auth_${token}`)).to.equal(user.id);
    expect(user.id).to.match(/^[0-9a-f]{24}$/);
    expect(await redis().ttl(`auth_${token}`)).to.be.within(86_390, 86_400);
  });

  it('splits the credentials at the first colon, so a password may contain colons', async () => {
    const user = await signUp('a:b::c:');
    const response = await connect(basicAuth(user.email, user.password));
    expect(response.status).to.equal(200);
    expect(await redis().get(`auth_${(response.body as { token: string }).token}`)).to.equal(user.id);
  });

  it('issues a new token at each login, every one of them valid', async () => {
    const user = await signUp();
    const tokens = [];
    for (let i = 0; i < 2; i += 1) tokens.push(((await connect(basicAuth(user.email, user.password))).body as { token: string }).token);
    expect(tokens[0]).to.not.equal(tokens[1]);
    for (const token of tokens) expect((await api('GET', '/users/me', { token })).status).to.equal(200);
  });
});

describe('GET /disconnect', () => {
  const redis = ownRedis();
  it('answers without a token with 401 "Unauthorized"', async () => {
    expectUnauthorized(await api('GET', '/disconnect'));
  });

  it('answers an unknown token with 401 "Unauthorized"', async () => {
    expectUnauthorized(await api('GET', '/disconnect', { token: 'f47ac10b-58cc-4372-a567-0e02b2c3d479' }));
  });

  it('deletes the key and answers 204 with an empty body', async () => {
    const user = await createUser();
    const response = await api('GET', '/disconnect', { token: user.token });
    expect(response.status).to.equal(204);
    expect(response.text).to.equal('');
    expect(await redis().exists(`auth_${user.token}`)).to.equal(0);
  });

  it('leaves the token invalid afterwards: /users/me and a second /disconnect answer 401', async () => {
    const user = await createUser();
    expect((await api('GET', '/disconnect', { token: user.token })).status).to.equal(204);
    expectUnauthorized(await api('GET', '/users/me', { token: user.token }));
    expectUnauthorized(await api('GET', '/disconnect', { token: user.token }));
  });

  it("deletes only the caller's token: the user's other tokens stay valid", async () => {
    const user = await createUser();
    const other = await api('GET', '/connect', { headers: { Authorization: basicAuth(user.email, user.password) } });
    const otherToken = (other.body as { token: string }).token;
    expect((await api('GET', '/disconnect', { token: user.token })).status).to.equal(204);
    expect((await api('GET', '/users/me', { token: otherToken })).status).to.equal(200);
  });
});

describe('GET /users/me', () => {
  it('answers without a token with 401 "Unauthorized"', async () => {
    expectUnauthorized(await api('GET', '/users/me'));
  });

  it('answers an unknown token with 401 "Unauthorized"', async () => {
    expectUnauthorized(await api('GET', '/users/me', { token: 'no-such-token' }));
  });

  it('answers 200 with exactly {"id","email"} of the token\'s user', async () => {
    const user = await createUser();
    const response = await api('GET', '/users/me', { token: user.token });
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal({ id: user.id, email: user.email });
  });
});

describe('tokens', () => {
  const redis = ownRedis();
  it('accepts a key seeded without a TTL', async () => {
    const user = await signUp();
    const token = `seeded-${randomBytes(6).toString('hex')}`;
    const key = `auth_${token}`;
    await redis().set(key, user.id);
    expect(await redis().ttl(key)).to.equal(-1);
    const response = await api('GET', '/users/me', { token });
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal({ id: user.id, email: user.email });
    expect((await api('GET', '/files', { token })).status).to.equal(200);
    await redis().del(key);
  });

  it('accepts a key written with redisClient.set and any duration', async () => {
    const user = await signUp();
    const token = randomBytes(8).toString('hex');
    await redisClient.set(`auth_${token}`, user.id, 30);
    expect((await api('GET', '/users/me', { token })).body).to.deep.equal({ id: user.id, email: user.email });
  });

  it('refuses with 401 a token whose user was deleted', async () => {
    const user = await createUser();
    await dbClient.users.deleteOne({ _id: new ObjectId(user.id) });
    expect(await redis().get(`auth_${user.token}`)).to.equal(user.id);
    expectUnauthorized(await api('GET', '/users/me', { token: user.token }));
    expectUnauthorized(await api('GET', '/files', { token: user.token }));
    expectUnauthorized(await api('GET', '/disconnect', { token: user.token }));
  });

  it('refuses with 401 a key whose value is not a user id', async () => {
    const token = randomBytes(8).toString('hex');
    await redis().set(`auth_${token}`, 'not-an-object-id');
    expectUnauthorized(await api('GET', '/users/me', { token }));
    await redis().del(`auth_${token}`);
  });
});
