/**
 * `npm run services [-- --s3]`: only the database and Redis (and with --s3 a local S3 server
 * with a bucket), on the checkout's dev data, as `npm run dev` runs them; prints the variables
 * that point the server, the worker, a debugger or another checkout at them. `npm run dev` in
 * this checkout uses them too. SIGINT, SIGTERM or SIGHUP stops them.
 */
import { runMain, STOP_SIGNALS } from '../utils/lifecycle';
import { claimDevData, startDevStack, useS3 } from './lib/devServices';

/** Quoted for a POSIX shell, so a line can be pasted or eval'd as it is. */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

async function main(): Promise<void> {
  const claim = claimDevData('services');
  const starting = startDevStack(claim, { s3: useS3(process.argv.includes('--s3'), 'services') });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    // A Ctrl-C while they boot stops them once they are up.
    await starting.then((stack) => stack.stop(), () => undefined);
    claim.release();
    process.exit(0);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, () => void stop());
  const stack = await starting.catch((error: unknown) => {
    claim.release();
    throw error;
  });
  console.log('# The services are running; paste these lines into another shell (npm run dev here uses them by itself):');
  for (const [name, value] of Object.entries(stack.env)) console.log(`export ${name}=${shellQuote(value)}`);
  console.log('# Ctrl-C here stops them.');
}

runMain('services', main);
