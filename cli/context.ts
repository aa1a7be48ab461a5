/** What every command starts from: the server's address and, for most, the session kept for it. */
import { Api } from './api';
import { readSession } from './config';
import { CliError } from './errors';

/** The program's own options, which every command sees. */
export interface GlobalOptions {
  url: string;
}

/** An API client with the token of `url`'s session; without one, says how to log in. */
export async function loggedIn(url: string): Promise<Api> {
  const session = await readSession(url);
  if (session === undefined) throw new CliError(`Not logged in to ${url}. Log in first: files-manager login <email>`);
  return new Api(url, session);
}

/** Standard output, where results go (standard error has progress, warnings and errors). */
export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** A remark beside a result (what a printed URL is), kept out of standard output so that holds only the result. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

export function warn(text: string): void {
  process.stderr.write(`files-manager: ${text}\n`);
}
