/** login, logout, whoami: a token per server, kept in the config directory (config.ts). */
import { Api } from '../api';
import { forgetSession, readSession, saveSession } from '../config';
import { loggedIn, print } from '../context';
import { ApiError, CliError } from '../errors';
import { askSecret } from '../secrets';

function basicAuth(email: string, password: string): string {
  return `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`;
}

export async function login(url: string, email: string): Promise<void> {
  const password = await askSecret('FM_PASSWORD', `Password for ${email}`);
  const api = new Api(url);
  let token: string;
  try {
    ({ token } = await api.call(api.client.GET('/connect', { headers: { Authorization: basicAuth(email, password) } })));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw new CliError(`Wrong email or password for ${url} (${error.serviceMessage})`);
    throw error;
  }
  const previous = await readSession(url);
  await saveSession(url, { email, token });
  // The token it replaces would otherwise stay valid for a day: best effort, it may have expired already.
  if (previous !== undefined) {
    const replaced = new Api(url, previous);
    await replaced.send(replaced.client.GET('/disconnect')).catch(() => undefined);
  }
  print(`Logged in to ${url} as ${email}`);
}

export async function logout(url: string): Promise<void> {
  const session = await readSession(url);
  if (session === undefined) {
    print(`Not logged in to ${url}`);
    return;
  }
  const api = new Api(url, session);
  try {
    await api.send(api.client.GET('/disconnect'));
  } catch (error) {
    // Already ended on the server (expired, or logged out elsewhere): there is nothing left to end.
    if (!(error instanceof ApiError && error.status === 401)) throw error;
  }
  await forgetSession(url);
  print(`Logged out of ${url} (${session.email})`);
}

export async function whoami(url: string, json: boolean): Promise<void> {
  const api = await loggedIn(url);
  const me = await api.call(api.client.GET('/users/me'));
  print(json ? JSON.stringify({ ...me, url }) : `${me.email} on ${url}`);
}
