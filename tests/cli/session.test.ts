import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { createClient } from 'redis';
import { request } from '../../scripts/lib/client';
import { freePort } from '../../scripts/lib/services';
import { cli, cliFails, cliHarness, cliOk, loggedInUser, newAccount, newHome } from './kit';
import { Relay } from './relay';

/** login, whoami, logout, and what each failure of a session or a server says. */

function storedSessions(configHome: string): Record<string, { email: string; token: string }> {
  const file = path.join(configHome, 'files-manager', 'sessions.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { sessions: Record<string, { email: string; token: string }> }).sessions;
}

async function tokenWorks(token: string): Promise<boolean> {
  return (await request('GET', `${cliHarness().baseUrl}/users/me`, { headers: { 'X-Token': token } })).status === 200;
}

describe('cli: sessions', function () {
  this.timeout(60_000);
  this.slow(5_000);

  it('logs in with FM_PASSWORD, keeps the token in $XDG_CONFIG_HOME/files-manager with mode 0600, and whoami names the account', async () => {
    const account = await newAccount();
    const home = newHome();
    const login = await cliOk(['login', account.email], { home, env: { FM_PASSWORD: account.password } });
    expect(login.stdout).to.include(`Logged in to ${cliHarness().baseUrl} as ${account.email}`);
    const file = path.join(home, 'config', 'files-manager', 'sessions.json');
    expect(statSync(file).mode & 0o777, 'the sessions file').to.equal(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777, 'its folder').to.equal(0o700);
    const { token } = storedSessions(path.join(home, 'config'))[cliHarness().baseUrl] ?? { token: '' };
    expect(await tokenWorks(token), 'the kept token').to.equal(true);

    expect((await cliOk(['whoami'], { home })).stdout.trim()).to.equal(`${account.email} on ${cliHarness().baseUrl}`);
    expect(JSON.parse((await cliOk(['whoami', '--json'], { home })).stdout)).to.deep.equal({ id: account.id, email: account.email, url: cliHarness().baseUrl });
  });

  it('keeps the token in ~/.config/files-manager when XDG_CONFIG_HOME is not set, and takes the server from --url', async () => {
    const account = await newAccount();
    const home = newHome();
    const options = { home, url: 'http://127.0.0.1:9', env: { XDG_CONFIG_HOME: undefined, FM_PASSWORD: account.password } };
    await cliOk(['--url', cliHarness().baseUrl, 'login', account.email], options);
    expect(storedSessions(path.join(home, '.config'))[cliHarness().baseUrl]?.email).to.equal(account.email);
    expect((await cliOk(['whoami', '--url', cliHarness().baseUrl], options)).stdout).to.include(account.email);
  });

  it('refuses a wrong password with a clear message, a non-zero status and no token kept', async () => {
    const account = await newAccount();
    const home = newHome();
    await cliFails(['login', account.email], { home, env: { FM_PASSWORD: 'not-the-password' } }, `Wrong email or password for ${cliHarness().baseUrl}`);
    await cliFails(['whoami'], { home }, `Not logged in to ${cliHarness().baseUrl}. Log in first: files-manager login <email>`);
  });

  it('asks for the password when there is no FM_PASSWORD, and says so when there is no terminal to ask on', async () => {
    await cliFails(['login', 'someone@example.com'], { home: newHome() }, 'Password for someone@example.com needed: set FM_PASSWORD, or run this in a terminal');
  });

  it('logs out: the token stops working on the server and is forgotten', async () => {
    const { account, home, options } = await loggedInUser();
    const { token } = storedSessions(path.join(home, 'config'))[cliHarness().baseUrl] ?? { token: '' };
    expect((await cliOk(['logout'], options)).stdout).to.include(`Logged out of ${cliHarness().baseUrl} (${account.email})`);
    expect(await tokenWorks(token), 'the token after logout').to.equal(false);
    expect(storedSessions(path.join(home, 'config'))).to.deep.equal({});
    await cliFails(['ls'], options, 'Not logged in');
  });

  it('says an expired token has expired, and how to log in again, with a non-zero status', async () => {
    const { account, home, options } = await loggedInUser();
    const { token } = storedSessions(path.join(home, 'config'))[cliHarness().baseUrl] ?? { token: '' };
    // What 24 hours do to a token: its key in Redis goes.
    const redis = createClient({ url: cliHarness().services.redisUrl });
    await redis.connect();
    await redis.del(`auth_${token}`);
    await redis.quit();
    const message = `Unauthorized: the session of ${account.email} on ${cliHarness().baseUrl} has expired or was ended. Log in again: files-manager login ${account.email}`;
    await cliFails(['whoami'], options, message);
    await cliFails(['ls'], options, message);
  });

  it('says a server that is down cannot be reached, with a non-zero status', async () => {
    const port = await freePort();
    const home = newHome();
    await cliFails(['login', 'someone@example.com'], { home, url: `http://127.0.0.1:${port}`, env: { FM_PASSWORD: 'x' } }, `Cannot reach the server at http://127.0.0.1:${port} (connection refused)`);

    // Logged in, then the server goes away.
    const relay = await Relay.start(cliHarness().baseUrl);
    const { options } = await loggedInUser(relay.url);
    await cliOk(['ls'], options);
    await relay.close();
    const down = await cliFails(['ls'], options, `Cannot reach the server at ${relay.url} (connection refused). Is it running?`);
    expect(down.stderr.trim().split('\n'), 'one line, no stack').to.have.length(1);
  });

  it('refuses a malformed --url, or an unknown option, with status 2', async () => {
    const bad = await cli(['--url', 'localhost:5000', 'ls'], { home: newHome() });
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('Invalid server URL "localhost:5000"');
    const unknown = await cli(['ls', '--colour'], { home: newHome() });
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.include("unknown option '--colour'");
  });
});
