/** The `files-manager` command (cli/bin.js runs this): the program, and what an error makes of the exit status. */
import { CommanderError } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './errors';
import { buildProgram } from './program';

/** Help and --version end the parse with a CommanderError too, successfully. */
const HELP_CODES = new Set(['commander.help', 'commander.helpDisplayed', 'commander.version']);

async function run(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    // Commander has printed what was wrong with the command line.
    if (error instanceof CommanderError) return HELP_CODES.has(error.code) ? 0 : EXIT_USAGE;
    if (!(error instanceof CliError)) throw error;
    process.stderr.write(`files-manager: ${error.message}\n`);
    return error.exitCode;
  }
}

// A reader that stopped reading (`files-manager ls | head -1`) is not a failure: nothing is left to say.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

// The exit status, not process.exit(): what is still being written to a pipe gets there.
run(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // A bug, not a failure the CLI knows: the whole story, for a report.
    console.error(error);
    process.exitCode = EXIT_FAILURE;
  },
);
