import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { dbClient } from '../../utils/db';
import { queues } from '../../utils/queues';
import { api, basicAuth, expectError, jobData, uniqueEmail } from '../support';

const sha1 = (text: string): string => createHash('sha1').update(text, 'utf8').digest('hex');

describe('POST /users', () => {
  describe('validation, in the contract order', () => {
    it('answers a request without a body with 400 "Missing email"', async () => {
      expectError(await api('POST', '/users'), 400, 'Missing email');
    });

    it('answers a missing email with 400 "Missing email", even when the password is missing too', async () => {
      expectError(await api('POST', '/users', { json: { password: 'pw' } }), 400, 'Missing email');
      expectError(await api('POST', '/users', { json: {} }), 400, 'Missing email');
    });

    for (const email of [42, null, true, ['a@b.c'], { address: 'a@b.c' }]) {
      it(`answers an email that is not a string (${JSON.stringify(email)}) with 400 "Missing email"`, async () => {
        expectError(await api('POST', '/users', { json: { email, password: 'pw' } }), 400, 'Missing email');
      });
    }

    it('answers a missing password with 400 "Missing password"', async () => {
      expectError(await api('POST', '/users', { json: { email: uniqueEmail() } }), 400, 'Missing password');
    });

    for (const password of [1234, null, false, ['pw'], { secret: 'pw' }]) {
      it(`answers a password that is not a string (${JSON.stringify(password)}) with 400 "Missing password"`, async () => {
        expectError(await api('POST', '/users', { json: { email: uniqueEmail(), password } }), 400, 'Missing password');
      });
    }

    // The contract names absent and non-string values; an empty string is treated as absent too,
    // as the original service did (`if (!email)`), so no account has an empty email or password.
    it('answers an empty email with 400 "Missing email" and an empty password with 400 "Missing password"', async () => {
      expectError(await api('POST', '/users', { json: { email: '', password: 'pw' } }), 400, 'Missing email');
      const email = uniqueEmail();
      expectError(await api('POST', '/users', { json: { email, password: '' } }), 400, 'Missing password');
      expect(await dbClient.users.countDocuments({ email: { $in: ['', email] } })).to.equal(0);
    });

    it('checks the password before whether the email is taken', async () => {
      const email = uniqueEmail();
      expect((await api('POST', '/users', { json: { email, password: 'pw' } })).status).to.equal(201);
      expectError(await api('POST', '/users', { json: { email } }), 400, 'Missing password');
    });

    it('answers an email that is taken with 400 "Already exist" and keeps the first account', async () => {
      const email = uniqueEmail();
      const first = await api('POST', '/users', { json: { email, password: 'first' } });
      expect(first.status).to.equal(201);
      expectError(await api('POST', '/users', { json: { email, password: 'second' } }), 400, 'Already exist');
      const stored = await dbClient.users.find({ email }).toArray();
      expect(stored).to.have.length(1);
      expect(stored[0]?.password).to.equal(sha1('first'));
    });

    it('stores nothing for a rejected sign-up', async () => {
      const email = uniqueEmail();
      expectError(await api('POST', '/users', { json: { email, password: 7 } }), 400, 'Missing password');
      expect(await dbClient.users.countDocuments({ email })).to.equal(0);
    });
  });

  describe('a valid sign-up', () => {
    it('answers 201 with exactly {"id","email"}', async () => {
      const email = uniqueEmail();
      const response = await api('POST', '/users', { json: { email, password: 'secret' } });
      expect(response.status).to.equal(201);
      const body = response.body as { id: string; email: string };
      expect(Object.keys(body).sort()).to.deep.equal(['email', 'id']);
      expect(body.email).to.equal(email);
      expect(body.id).to.match(/^[0-9a-f]{24}$/);
    });

    it('stores {email, password: SHA-1 hex of the password} under the returned id', async () => {
      const email = uniqueEmail();
      const password = 'correct horse battery staple';
      const { body } = await api('POST', '/users', { json: { email, password } });
      const user = await dbClient.users.findOne({ _id: new ObjectId((body as { id: string }).id) });
      expect(user).to.deep.equal({ _id: new ObjectId((body as { id: string }).id), email, password: sha1(password) });
    });

    it('stores the email exactly as received: case and spaces kept', async () => {
      const exact = `  Mixed.Case+${randomBytes(4).toString('hex')}@Example.COM `;
      const response = await api('POST', '/users', { json: { email: exact, password: 'pw' } });
      expect(response.status).to.equal(201);
      expect((response.body as { email: string }).email).to.equal(exact);
      expect(await dbClient.users.countDocuments({ email: exact })).to.equal(1);
      // The same address in another case is another email, since nothing is normalised.
      expect((await api('POST', '/users', { json: { email: exact.toLowerCase(), password: 'pw' } })).status).to.equal(201);
      const login = await api('GET', '/connect', { headers: { Authorization: basicAuth(exact, 'pw') } });
      expect(login.status).to.equal(200);
    });

    it('enqueues {userId} on userQueue', async () => {
      const { body } = await api('POST', '/users', { json: { email: uniqueEmail(), password: 'pw' } });
      const userId = (body as { id: string }).id;
      const jobs = (await jobData(queues.userQueue)).filter((data) => data.userId === userId);
      expect(jobs).to.deep.equal([{ userId }]);
      expect(queues.userQueue.name).to.equal('userQueue');
    });

    it('lets exactly one of 10 concurrent sign-ups with one email succeed, storing one document', async () => {
      const email = uniqueEmail();
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, index) => api('POST', '/users', { json: { email, password: `pw${index}` } })),
      );
      const created = responses.filter((response) => response.status === 201);
      const refused = responses.filter((response) => response.status !== 201);
      expect(created).to.have.length(1);
      for (const response of refused) expectError(response, 400, 'Already exist');
      const stored = await dbClient.users.find({ email }).toArray();
      expect(stored).to.have.length(1);
      expect(stored[0]?._id.toHexString()).to.equal((created[0]?.body as { id: string }).id);
    });
  });
});
