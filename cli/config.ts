/**
 * What the CLI keeps between runs, in the user's config directory: the token of each server it
 * logged in to, and (transfer/urlStore.ts) the addresses of unfinished uploads. The token is
 * written only here, with mode 0600 in a 0700 folder, and never goes into a command line.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CliError, EXIT_USAGE } from './errors';

export const DEFAULT_URL = 'http://localhost:5000';

export interface Session {
  email: string;
  token: string;
}

interface SessionsFile {
  sessions: Record<string, Session>;
}

/** `$XDG_CONFIG_HOME/files-manager`, else `~/.config/files-manager`, as the XDG base directory spec has it. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME?.trim();
  // The spec ignores a relative XDG_CONFIG_HOME.
  const base = xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.config');
  return path.join(base, 'files-manager');
}

/** The server's address as given, checked, without a trailing slash: one spelling, one session. */
export function serverUrl(given: string): string {
  let parsed: URL;
  try {
    parsed = new URL(given);
  } catch {
    throw new CliError(`Invalid server URL "${given}" (--url or FM_URL): expected something like ${DEFAULT_URL}`, EXIT_USAGE);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CliError(`Invalid server URL "${given}" (--url or FM_URL): only http and https are spoken`, EXIT_USAGE);
  }
  return parsed.href.replace(/\/+$/, '');
}

/** Written whole to a new file that then replaces the old one, so a crash never leaves half of it. */
export async function writePrivateFile(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode: 0o600 });
  await rename(temporary, file);
}

/** The parsed JSON of a file of ours, or undefined when there is none yet. */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CliError(`${file} is not valid JSON: remove it and try again`);
  }
}

const sessionsFile = (): string => path.join(configDir(), 'sessions.json');

async function readSessions(): Promise<SessionsFile> {
  const parsed = await readJsonFile(sessionsFile());
  if (typeof parsed !== 'object' || parsed === null || !('sessions' in parsed)) return { sessions: {} };
  return parsed as SessionsFile;
}

export async function readSession(url: string): Promise<Session | undefined> {
  return (await readSessions()).sessions[url];
}

export async function saveSession(url: string, session: Session): Promise<void> {
  const stored = await readSessions();
  stored.sessions[url] = session;
  await writePrivateFile(sessionsFile(), `${JSON.stringify(stored, null, 2)}\n`);
}

export async function forgetSession(url: string): Promise<void> {
  const stored = await readSessions();
  if (!(url in stored.sessions)) return;
  delete stored.sessions[url];
  await writePrivateFile(sessionsFile(), `${JSON.stringify(stored, null, 2)}\n`);
}
