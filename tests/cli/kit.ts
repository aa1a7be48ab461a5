import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { signUpAndLogIn, type Account } from '../../scripts/lib/client';
import { AppProcess, ROOT } from '../../scripts/lib/processes';
import type { Services } from '../../scripts/lib/services';

/**
 * The CLI tier's kit: the service the global fixture (fixture.ts) runs as real server and worker
 * processes, and the CLI run as a user runs it (cli/bin.js, a child process) with a config
 * directory of its own, so no test sees another's session.
 */

export interface CliHarness {
  baseUrl: string;
  services: Services;
  /** The server's and worker's environment, for the scripts a test runs against the same data. */
  env: Record<string, string>;
  folderPath: string;
  processes: AppProcess[];
}

let current: CliHarness | undefined;

export function setCliHarness(value: CliHarness | undefined): void {
  current = value;
}

export function cliHarness(): CliHarness {
  if (current === undefined) throw new Error('the CLI tier fixture (tests/cli/fixture.ts) has not run');
  return current;
}

const BIN = path.join(ROOT, 'cli', 'bin.js');
const temporaries: string[] = [];

/** A new empty folder, removed when the tier ends. */
export function tempDir(purpose: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `files-manager-cli-${purpose}-`));
  temporaries.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of temporaries.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A home of its own for the CLI: its config directory (XDG_CONFIG_HOME) is inside. */
export function newHome(): string {
  return tempDir('home');
}

export interface CliOptions {
  home: string;
  /** The server, as FM_URL; the fixture's by default. */
  url?: string;
  /** More variables (FM_PASSWORD…); `XDG_CONFIG_HOME: undefined` leaves it unset. */
  env?: Record<string, string | undefined>;
}

function cliEnv(options: CliOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: options.home,
    XDG_CONFIG_HOME: path.join(options.home, 'config'),
    FM_URL: options.url ?? cliHarness().baseUrl,
    ...options.env,
  };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  return env;
}

/** The CLI started, to be waited for or killed. */
export function startCli(args: readonly string[], options: CliOptions): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cliEnv(options), stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/** Resolves once the started CLI has exited, with what it printed. */
export function finished(child: ChildProcess): Promise<CliResult> {
  const started = Date.now();
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr, elapsedMs: Date.now() - started })));
}

export function cli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  return finished(startCli(args, options));
}

/** Runs the CLI and expects success; the result's output otherwise goes into the failure. */
export async function cliOk(args: readonly string[], options: CliOptions): Promise<CliResult> {
  const result = await cli(args, options);
  expect(result.code, `files-manager ${args.join(' ')}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`).to.equal(0);
  return result;
}

/** Runs the CLI and expects it to fail with status 1 and a message on standard error holding `message`. */
export async function cliFails(args: readonly string[], options: CliOptions, message: string | RegExp): Promise<CliResult> {
  const result = await cli(args, options);
  const described = `files-manager ${args.join(' ')}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
  expect(result.code, described).to.equal(1);
  if (typeof message === 'string') expect(result.stderr, described).to.include(message);
  else expect(result.stderr, described).to.match(message);
  return result;
}

/** A new account on the fixture's service (through the API, as the web app's sign-up). */
export function newAccount(baseUrl = cliHarness().baseUrl): Promise<Account> {
  return signUpAndLogIn(baseUrl, 'cli');
}

/** A new account, logged in with the CLI in a home of its own. */
export async function loggedInUser(url?: string): Promise<{ account: Account; home: string; options: CliOptions }> {
  const account = await newAccount();
  const home = newHome();
  const options: CliOptions = { home, url };
  await cliOk(['login', account.email], { ...options, env: { FM_PASSWORD: account.password } });
  return { account, home, options };
}

/** `npm run users:quota -- <email> <bytes>` against the fixture's data. */
export async function setQuota(email: string, bytes: number): Promise<void> {
  const script = new AppProcess('scripts/users-quota', { env: cliHarness().env, args: [email, String(bytes)] });
  const exit = await script.exited;
  expect(exit.code, script.output).to.equal(0);
}
