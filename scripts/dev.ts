/**
 * `npm run dev`: the API on PORT (5000) and the worker, both restarting on changes, with a
 * local database and Redis started when none is configured or answering at the defaults.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startServices } from './services';

const ROOT = path.resolve(__dirname, '..');
const NODEMON = path.join(ROOT, 'node_modules', '.bin', 'nodemon');

function run(entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(NODEMON, ['--quiet', '--watch', '.', '--ext', 'ts', '--ignore', 'tests/', '--exec', 'ts-node', entry], {
    cwd: ROOT,
    env,
    stdio: 'inherit',
    // Its own process group, so stopping reaches nodemon's `sh -c ts-node` grandchildren too.
    detached: true,
  });
}

async function main(): Promise<void> {
  const services = await startServices({ prefix: '', dataDir: path.join(ROOT, '.cache', 'dev-data'), preferDefaults: true });
  console.log(`database: ${services.dbUrl}\nredis:    ${services.redisUrl}`);
  const env = { ...process.env, DB_URL: services.dbUrl, REDIS_URL: services.redisUrl };
  const children = [run('server.ts', env), run('worker.ts', env)];

  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) resolve();
            else {
              child.once('exit', () => resolve());
              process.kill(-(child.pid ?? 0), 'SIGTERM');
            }
          }),
      ),
    );
    await services.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  for (const child of children) child.once('exit', (code) => void stop(code ?? 1));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
