/**
 * `npm run users:quota -- <email> <bytes|unlimited|default>`: sets one user's quota (`default`
 * gives them QUOTA_BYTES again) and prints their usage. Uses the services of a running
 * `npm run dev`, or those the environment names.
 */
import { closeClients, connectClients } from '../utils/clients';
import { runMain, StartupError } from '../utils/lifecycle';
import { log } from '../utils/log';
import { setUserQuota, usageOf } from '../utils/users/quota';
import { findUserByEmail } from '../utils/users/store';
import { useScriptConfig } from './lib/devServices';

const USAGE = 'usage: npm run users:quota -- <email> <bytes|unlimited|default>';

function parseQuota(value: string | undefined): number | null | undefined {
  if (value === 'unlimited') return null;
  if (value === 'default') return undefined;
  if (value !== undefined && /^\d+$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
  throw new StartupError(`${USAGE}\n(got "${value ?? ''}" for the quota)`);
}

async function main(): Promise<void> {
  const [email, value] = process.argv.slice(2);
  if (email === undefined) throw new StartupError(USAGE);
  const quota = parseQuota(value);
  useScriptConfig();
  await connectClients();
  try {
    const user = await findUserByEmail(email);
    if (user === null) throw new StartupError(`no user has the email ${email}`);
    await setUserQuota(user._id, quota);
    log.info(`${email}: ${JSON.stringify(await usageOf(user._id))}`);
  } finally {
    await closeClients();
  }
}

runMain('users:quota', main);
