import { expect } from 'chai';
import { config } from '../../utils/config';
import { dbClient } from '../../utils/db';
import { redisClient } from '../../utils/redis';
import { api, type ApiResponse, captureOutput, base64, basicAuth, createUser, download, sha1, uniqueEmail, upload, withConfig } from '../support';

async function storedPassword(email: string): Promise<string> {
  const user = await dbClient.users.findOne({ email });
  if (user === null) throw new Error(`no user ${email}`);
  return user.password;
}

describe('passwords, tokens and headers', () => {
  describe('PASSWORD_HASH', () => {
    it('stores the SHA-1 hex with the default sha1 setting', async () => {
      const user = await createUser();
      expect(config().passwordHash).to.equal('sha1');
      expect(await storedPassword(user.email)).to.equal(sha1(user.password));
    });

    it('stores a salted, self-describing scrypt hash with scrypt, and logs in with it', async () => {
      await withConfig({ passwordHash: 'scrypt' }, async () => {
        const first = await createUser();
        const second = uniqueEmail();
        expect((await api('POST', '/users', { json: { email: second, password: first.password } })).status).to.equal(201);

        const stored = await storedPassword(first.email);
        expect(stored).to.match(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
        expect(stored).not.to.include(sha1(first.password));
        // The same password under another account gets another salt, hence another hash.
        expect(await storedPassword(second)).not.to.equal(stored);
        expect((await api('GET', '/connect', { headers: { Authorization: basicAuth(second, first.password) } })).status).to.equal(200);
      });
    });

    it('re-hashes a SHA-1 password with scrypt at the first correct login when scrypt is selected', async () => {
      const user = await createUser();
      await withConfig({ passwordHash: 'scrypt' }, async () => {
        const wrong = await api('GET', '/connect', { headers: { Authorization: basicAuth(user.email, 'wrong') } });
        expect(wrong.status).to.equal(401);
        expect(await storedPassword(user.email), 'a wrong password changes nothing').to.equal(sha1(user.password));

        const login = await api('GET', '/connect', { headers: { Authorization: basicAuth(user.email, user.password) } });
        expect(login.status).to.equal(200);
        expect(await storedPassword(user.email)).to.match(/^scrypt\$/);
        const again = await api('GET', '/connect', { headers: { Authorization: basicAuth(user.email, user.password) } });
        expect(again.status).to.equal(200);
      });
    });

    it('verifies either format with sha1 selected, and never converts one into the other', async () => {
      const legacy = await createUser();
      let modern = legacy;
      await withConfig({ passwordHash: 'scrypt' }, async () => {
        modern = await createUser();
      });
      const scryptHash = await storedPassword(modern.email);
      expect(scryptHash).to.match(/^scrypt\$/);
      expect(config().passwordHash).to.equal('sha1');
      for (const user of [legacy, modern]) {
        const login = await api('GET', '/connect', { headers: { Authorization: basicAuth(user.email, user.password) } });
        expect(login.status, user.email).to.equal(200);
        const wrong = await api('GET', '/connect', { headers: { Authorization: basicAuth(user.email, `${user.password}x`) } });
        expect(wrong.status, user.email).to.equal(401);
      }
      expect(await storedPassword(legacy.email)).to.equal(sha1(legacy.password));
      expect(await storedPassword(modern.email)).to.equal(scryptHash);
    });
  });

  describe('tokens', () => {
    it('are revoked at once by GET /disconnect', async () => {
      const user = await createUser();
      expect((await api('GET', '/users/me', { token: user.token })).status).to.equal(200);
      const disconnect = await api('GET', '/disconnect', { token: user.token });
      expect(disconnect.status).to.equal(204);
      expect(await redisClient.get(`auth_${user.token}`)).to.equal(null);
      for (const [method, path] of [['GET', '/users/me'], ['GET', '/files'], ['GET', '/disconnect']] as const) {
        const response = await api(method, path, { token: user.token });
        expect(response.status, `${method} ${path}`).to.equal(401);
        expect(response.body).to.deep.equal({ error: 'Unauthorized' });
      }
    });

    it('never appear in the server output, whatever the request does', async () => {
      let tokens: string[] = [];
      const output = await captureOutput(async () => {
        const user = await createUser();
        const second = await api('GET', '/connect', { headers: { Authorization: basicAuth(user.email, user.password) } });
        tokens = [user.token, (second.body as { token: string }).token];
        const file = await upload(user.token, { name: 'a.txt', type: 'file', data: base64('x') });
        await api('GET', `/files/${file.id}/data`, { token: user.token });
        await api('GET', `/files/${file.id}/data?size=7`, { token: user.token });
        await api('POST', '/files', { token: user.token, json: { name: 'b', type: 'file', data: '***' } });
        await api('POST', '/files', { token: user.token, body: '{"broken', headers: { 'Content-Type': 'application/json' } });
        await api('GET', `/files?token=${user.token}`, { token: `${user.token}x` });
        await api('GET', '/disconnect', { token: user.token });
        await api('GET', '/users/me', { token: user.token });
      });
      const logged = output.join('\n');
      expect(tokens).to.have.length(2);
      for (const token of tokens) expect(logged).not.to.include(token);
    });
  });

  describe('security headers', () => {
    /** helmet's defaults for a JSON API, and no framework fingerprint. */
    function expectSecurityHeaders(response: ApiResponse, what: string): void {
      const headers = Object.fromEntries(response.headers);
      expect(headers['x-content-type-options'], what).to.equal('nosniff');
      expect(headers['x-frame-options'], what).to.equal('SAMEORIGIN');
      expect(headers['strict-transport-security'], what).to.match(/max-age=\d+/);
      expect(headers['content-security-policy'], what).to.include("default-src 'none'");
      expect(headers['referrer-policy'], what).to.equal('no-referrer');
      expect(headers['cross-origin-opener-policy'], what).to.equal('same-origin');
      expect(headers['x-dns-prefetch-control'], what).to.equal('off');
      expect(headers['x-powered-by'], what).to.equal(undefined);
    }

    it('are on every response: success, error, unknown route, a method the path lacks, and file content', async () => {
      const user = await createUser();
      const file = await upload(user.token, { name: 'a.txt', type: 'file', data: base64('hello') });
      const requests: [string, string, Record<string, string>?, string?][] = [
        ['GET', '/status'],
        ['GET', '/stats'],
        ['GET', '/users/me', { 'X-Token': user.token }],
        ['GET', '/users/me'],
        ['GET', '/files', { 'X-Token': user.token }],
        ['GET', `/files/${file.id}`, { 'X-Token': user.token }],
        ['GET', `/files/${file.id}/data`, { 'X-Token': user.token }],
        ['GET', '/files/0123456789abcdef01234567/data'],
        ['POST', '/files', { 'X-Token': user.token, 'Content-Type': 'application/json' }, '{"name":'],
        ['GET', '/no/such/route'],
        ['DELETE', '/status'],
      ];
      const statuses: number[] = [];
      for (const [method, path, headers, body] of requests) {
        const response = await api(method, path, { headers, body });
        statuses.push(response.status);
        expectSecurityHeaders(response, `${method} ${path} (${response.status})`);
      }
      expect(statuses).to.deep.equal([200, 200, 200, 401, 200, 200, 200, 404, 400, 404, 405]);
    });

    it('make user content inert: nosniff, a sandbox CSP, and active types only as attachments', async () => {
      const user = await createUser();
      const cases = [
        { name: 'page.html', type: 'text/html', disposition: 'attachment' },
        { name: 'drawing.svg', type: 'image/svg+xml', disposition: 'attachment' },
        { name: 'script.js', type: 'application/javascript', disposition: 'attachment' },
        { name: 'notes.txt', type: 'text/plain', disposition: 'inline' },
      ];
      for (const { name, type, disposition } of cases) {
        const file = await upload(user.token, { name, type: 'file', data: base64('<script>alert(1)</script>') });
        const response = await download(file.id, { token: user.token });
        expect(response.status, name).to.equal(200);
        expect(response.headers.get('content-type'), name).to.include(type);
        expect(response.headers.get('x-content-type-options'), name).to.equal('nosniff');
        expect(response.headers.get('content-security-policy'), name).to.match(/(^|;)\s*sandbox\s*(;|$)/);
        expect(response.headers.get('content-disposition'), name).to.match(new RegExp(`^${disposition};`));
      }
    });
  });
});
