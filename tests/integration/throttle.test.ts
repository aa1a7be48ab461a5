import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { closeServer, startServer } from '../../server';
import { type Config, type Throttle } from '../../utils/config';
import { dbClient } from '../../utils/db';
import {
  api,
  type ApiResponse,
  basicAuth,
  captureOutput,
  createUser,
  expectError,
  randomLoopbackAddress,
  type RequestOptions,
  uniqueEmail,
  withConfig,
} from '../support';

/** Throttling as a deployment without exemptions has it, with some limits changed. */
function strict(limits: Partial<Throttle> = {}): (current: Config) => Partial<Config> {
  return (current) => ({ throttle: { ...current.throttle, exempt: new net.BlockList(), ...limits } });
}

function connect(email: string, password: string, options: RequestOptions = {}): Promise<ApiResponse> {
  return api('GET', '/connect', { ...options, headers: { ...options.headers, Authorization: basicAuth(email, password) } });
}

function signUp(email: string, options: RequestOptions = {}): Promise<ApiResponse> {
  return api('POST', '/users', { ...options, json: { email, password: 'secret' } });
}

function expectTooManyRequests(response: ApiResponse, maxSeconds: number): void {
  expectError(response, 429, 'Too many requests');
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter), `Retry-After "${response.headers.get('retry-after')}"`).to.equal(true);
  expect(retryAfter).to.be.within(1, maxSeconds);
}

/** What a grader's checker does, in a few dozen requests: sign-ups, bad and good log-ins. */
async function checkerRun(): Promise<number[]> {
  const statuses: number[] = [];
  const record = (response: ApiResponse): ApiResponse => {
    statuses.push(response.status);
    return response;
  };
  for (let user = 0; user < 4; user += 1) {
    const email = uniqueEmail();
    record(await signUp(email));
    record(await signUp(email));
    record(await api('POST', '/users', { json: { email } }));
    for (let guess = 0; guess < 4; guess += 1) record(await connect(email, `wrong-${guess}`));
    record(await api('GET', '/connect', { headers: { Authorization: `Basic ${Buffer.from('hello').toString('base64')}` } }));
    record(await api('GET', '/connect'));
    const login = record(await connect(email, 'secret'));
    const { token } = login.body as { token: string };
    record(await api('GET', '/users/me', { token }));
    record(await api('GET', '/disconnect', { token }));
  }
  return statuses;
}

describe('throttling', () => {
  it('never answers 429 to a checker-style suite run 10 times back to back from this machine (loopback is exempt by default)', async function () {
    this.timeout(120_000);
    for (let run = 1; run <= 10; run += 1) {
      const statuses = await checkerRun();
      expect(statuses, `run ${run}`).not.to.include(429);
      expect(statuses.filter((status) => status === 201), `run ${run}: sign-ups`).to.have.length(4);
    }
  });

  it('lets 20 concurrent sign-ups from loopback all succeed', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => signUp(uniqueEmail())));
    expect(answers.map((answer) => answer.status)).to.deep.equal(Array(20).fill(201));
  });

  describe('GET /connect, with THROTTLE_EXEMPT=none', () => {
    it('answers a missing, non-Basic, undecodable or colon-less Authorization with a plain 401 that counts nothing', async () => {
      const user = await createUser();
      await withConfig(strict({ loginMaxFailures: 2, loginMaxFailuresPerAddress: 2 }), async () => {
        const address = randomLoopbackAddress();
        const malformed = [undefined, 'Bearer abc', 'Basic', 'Basic !!!!', `Basic ${Buffer.from('hello').toString('base64')}`];
        for (let round = 0; round < 5; round += 1) {
          for (const authorization of malformed) {
            const response = await api('GET', '/connect', { localAddress: address, headers: authorization === undefined ? {} : { Authorization: authorization } });
            expectError(response, 401, 'Unauthorized');
            expect(response.headers.get('www-authenticate')).to.match(/^Basic realm="files-manager"/);
          }
        }
        expect((await connect(user.email, user.password, { localAddress: address })).status).to.equal(200);
      });
    });

    it('lets 1,000 wrong guesses on one account from one address reach the password check at most LOGIN_MAX_FAILURES times; the right password still logs in from another address', async function () {
      this.timeout(120_000);
      const user = await createUser();
      const max = 10;
      await withConfig(strict({ loginMaxFailures: max, loginWindowSeconds: 600 }), async () => {
        const attacker = randomLoopbackAddress();
        const statuses: number[] = [];
        // In concurrent waves, as an attacker would send them: the count is reserved atomically.
        for (let wave = 0; wave < 20; wave += 1) {
          const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => connect(user.email, `guess-${wave}-${i}`, { localAddress: attacker })));
          statuses.push(...answers.map((answer) => answer.status));
          for (const answer of answers) if (answer.status === 429) expectTooManyRequests(answer, 600);
        }
        expect(statuses.filter((status) => status === 401), 'guesses that reached the password check').to.have.length(max);
        expect(statuses.filter((status) => status === 429)).to.have.length(1000 - max);
        expectTooManyRequests(await connect(user.email, user.password, { localAddress: attacker }), 600);
        expect((await connect(user.email, user.password, { localAddress: randomLoopbackAddress() })).status).to.equal(200);
      });
    });

    it('ends a streak of failures at a successful login', async () => {
      const user = await createUser();
      await withConfig(strict({ loginMaxFailures: 3 }), async () => {
        const address = randomLoopbackAddress();
        const failTwice = async () => {
          for (let attempt = 0; attempt < 2; attempt += 1) expect((await connect(user.email, 'wrong', { localAddress: address })).status).to.equal(401);
        };
        await failTwice();
        expect((await connect(user.email, user.password, { localAddress: address })).status).to.equal(200);
        await failTwice();
        // Without the reset this would be failure number 5 of 3.
        expect((await connect(user.email, user.password, { localAddress: address })).status).to.equal(200);
      });
    });

    it('caps failures per address across all accounts (credential stuffing), leaving other addresses alone', async () => {
      const user = await createUser();
      await withConfig(strict({ loginMaxFailuresPerAddress: 5 }), async () => {
        const stuffer = randomLoopbackAddress();
        for (let attempt = 0; attempt < 5; attempt += 1) expect((await connect(uniqueEmail(), 'guess', { localAddress: stuffer })).status).to.equal(401);
        expectTooManyRequests(await connect(user.email, user.password, { localAddress: stuffer }), 24 * 60 * 60);
        expectTooManyRequests(await connect(uniqueEmail(), 'guess', { localAddress: stuffer }), 24 * 60 * 60);
        expect((await connect(user.email, user.password, { localAddress: randomLoopbackAddress() })).status).to.equal(200);
      });
    });
  });

  describe('POST /users, with THROTTLE_EXEMPT=none', () => {
    it('counts only created accounts, and answers every validation error and "Already exist" before any 429', async () => {
      await withConfig(strict({ signupMaxPerAddress: 2, signupWindowSeconds: 300 }), async () => {
        const address = randomLoopbackAddress();
        const existing = await createUser();
        for (let attempt = 0; attempt < 5; attempt += 1) {
          expectError(await api('POST', '/users', { localAddress: address, json: {} }), 400, 'Missing email');
          expectError(await signUp(existing.email, { localAddress: address }), 400, 'Already exist');
        }
        expect((await signUp(uniqueEmail(), { localAddress: address })).status).to.equal(201);
        expect((await signUp(uniqueEmail(), { localAddress: address })).status).to.equal(201);

        expectError(await api('POST', '/users', { localAddress: address, json: { email: uniqueEmail() } }), 400, 'Missing password');
        expectError(await signUp(existing.email, { localAddress: address }), 400, 'Already exist');
        const refused = uniqueEmail();
        expectTooManyRequests(await signUp(refused, { localAddress: address }), 300);
        expect(await dbClient.users.countDocuments({ email: refused })).to.equal(0);
        expect((await signUp(uniqueEmail(), { localAddress: randomLoopbackAddress() })).status, 'another address').to.equal(201);
      });
    });
  });

  describe('behind a reverse proxy', () => {
    async function withProxySetting<T>(trustProxy: Config['trustProxy'], run: (baseUrl: string) => Promise<T>): Promise<T> {
      return withConfig(
        (current) => ({ trustProxy, throttle: { ...current.throttle, exempt: new net.BlockList(), loginMaxFailures: 2 } }),
        async () => {
          const server = await startServer(0);
          try {
            return await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
          } finally {
            await closeServer(server);
          }
        },
      );
    }

    it('throttles the client named in X-Forwarded-For with TRUST_PROXY set, not the proxy', async () => {
      const user = await createUser();
      await withProxySetting(['loopback'], async (baseUrl) => {
        const proxy = randomLoopbackAddress();
        const from = (client: string): RequestOptions => ({ baseUrl, localAddress: proxy, headers: { 'X-Forwarded-For': client } });
        for (let attempt = 0; attempt < 2; attempt += 1) expect((await connect(user.email, 'wrong', from('203.0.113.7'))).status).to.equal(401);
        expectTooManyRequests(await connect(user.email, user.password, from('203.0.113.7')), 900);
        expect((await connect(user.email, user.password, from('203.0.113.8'))).status, 'another client of the same proxy').to.equal(200);
      });
    });

    it('ignores X-Forwarded-For without TRUST_PROXY, and says so once in the log', async () => {
      const user = await createUser();
      const output = await captureOutput(async () => {
        await withProxySetting(false, async (baseUrl) => {
          const proxy = randomLoopbackAddress();
          for (const client of ['203.0.113.7', '203.0.113.8']) {
            expect((await connect(user.email, 'wrong', { baseUrl, localAddress: proxy, headers: { 'X-Forwarded-For': client } })).status).to.equal(401);
          }
          // Both failures were the proxy's own: the pair is locked whatever client it names.
          expectTooManyRequests(await connect(user.email, user.password, { baseUrl, localAddress: proxy, headers: { 'X-Forwarded-For': '203.0.113.9' } }), 900);
        });
      });
      expect(output.filter((line) => line.includes('X-Forwarded-For'))).to.have.length(1);
    });
  });
});
