/** Passwords: from the environment for scripts, else asked for on the terminal, never echoed. */
import password from '@inquirer/password';
import { CliError } from './errors';

/** An interrupted prompt (Ctrl-C) ends the command as a Ctrl-C would, with the shell's 130. */
const INTERRUPTED = 130;

export async function askSecret(variable: string, message: string): Promise<string> {
  const given = process.env[variable];
  if (given !== undefined && given !== '') return given;
  if (!process.stdin.isTTY) throw new CliError(`${message} needed: set ${variable}, or run this in a terminal to be asked for it`);
  try {
    // On standard error, so that standard output holds only the command's result.
    return await password({ message: `${message}:` }, { output: process.stderr });
  } catch (error) {
    if (error instanceof Error && error.name === 'ExitPromptError') throw new CliError('Cancelled', INTERRUPTED);
    throw error;
  }
}
