/** The commands, their arguments, options and help: what each runs is in commands/. */
import { Command, Option } from 'commander';
import { DEFAULT_URL, serverUrl } from './config';
import type { GlobalOptions } from './context';
import { CliError, EXIT_USAGE } from './errors';
import type { DownloadOptions } from './commands/download';
import type { ShareOptions } from './commands/share';
import { parseCount } from './format';

/**
 * Each command's module is loaded when the command runs, so that `whoami` neither reads nor (on a
 * first run from the sources) compiles the uploads' and downloads' modules and libraries.
 */
const files = () => import('./commands/files');
const session = () => import('./commands/session');
const sharing = () => import('./commands/share');
const trashing = () => import('./commands/trash');
const uploads = () => import('./commands/upload');
const downloads = () => import('./commands/download');

const DEFAULT_JOBS = 4;
const SORTS = ['name', '-name', 'size', '-size', 'createdAt', '-createdAt'] as const;

const PATHS_HELP = `
Paths are names from the root, as in "/Holidays 2026/beach.jpg", or ids (24 hex digits). When a
name is ambiguous (the service lets two items of a folder share one), nothing is done and the
candidates' ids are listed: name the one you mean by its id.`;

/** The server of this run: --url, else FM_URL, else the default; checked. */
function urlOf(command: Command): string {
  return serverUrl(command.optsWithGlobals<GlobalOptions>().url);
}

const jobsOption = (): Option =>
  new Option('-j, --jobs <n>', 'files transferred at the same time').default(DEFAULT_JOBS).argParser((value) => parseCount(value, '--jobs'));

export function buildProgram(): Command {
  const program = new Command('files-manager')
    .description('The command-line client of Files Manager: your files and folders on a Files Manager service.')
    .addOption(new Option('--url <url>', 'the server').env('FM_URL').default(DEFAULT_URL))
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .addHelpText('after', `${PATHS_HELP}\n\nExit status: 0 on success, 1 when something failed, 2 for a command line that cannot be run.`);

  program
    .command('login')
    .description('log in: the token is kept in the config directory, mode 0600')
    .argument('<email>')
    .addHelpText('after', '\nThe password is asked for without echo, or read from FM_PASSWORD. The config directory is\n$XDG_CONFIG_HOME/files-manager, else ~/.config/files-manager.')
    .action((email: string, _options: object, command: Command) => session().then(({ login }) => login(urlOf(command), email)));
  program
    .command('logout')
    .description('end the session on the server and forget its token')
    .action((_options: object, command: Command) => session().then(({ logout }) => logout(urlOf(command))));
  program
    .command('whoami')
    .description('the account of the session')
    .option('--json', 'as JSON: id, email, url')
    .action((options: { json?: boolean }, command: Command) => session().then(({ whoami }) => whoami(urlOf(command), options.json === true)));

  program
    .command('ls')
    .description('list a folder (the root by default), or show a file: name, type, size, public, id')
    .argument('[path]', 'a folder or a file', '/')
    .option('--json', 'a JSON array of the items, with id, name, type, isPublic, size, sha256, createdAt, parentId')
    .addOption(new Option('--sort <order>', 'the order').choices(SORTS).default('name'))
    .addHelpText('after', PATHS_HELP)
    .action((path: string, options: { json?: boolean; sort: (typeof SORTS)[number] }, command: Command) => files().then(({ ls }) => ls(urlOf(command), path, { json: options.json === true, sort: options.sort })));
  program
    .command('mkdir')
    .description('make folders')
    .argument('<path...>')
    .option('-p, --parents', 'make missing parent folders too, and accept a folder that exists')
    .action((paths: string[], options: { parents?: boolean }, command: Command) => files().then(({ mkdir }) => mkdir(urlOf(command), paths, options.parents === true)));
  program
    .command('mv')
    .description('move files and folders into a folder; or one of them to a new path (a new name in an existing folder)')
    .argument('<path...>', 'what to move, then where')
    .addHelpText('after', '\nExamples:\n  files-manager mv /notes.txt /a.txt /Archive\n  files-manager mv /notes.txt /Archive/old-notes.txt' + PATHS_HELP)
    .action((paths: string[], _options: object, command: Command) => {
      const destination = paths.at(-1);
      if (destination === undefined || paths.length < 2) throw new CliError('mv needs what to move and where: files-manager mv <path>... <destination>', EXIT_USAGE);
      return files().then(({ mv }) => mv(urlOf(command), paths.slice(0, -1), destination));
    });
  program
    .command('rename')
    .description('give a file or folder a new name, in the same folder')
    .argument('<path>')
    .argument('<new-name>')
    .action((path: string, name: string, _options: object, command: Command) => files().then(({ rename }) => rename(urlOf(command), path, name)));
  program
    .command('rm')
    .description('move files and folders (with all they hold) to the trash; files-manager trash restore brings them back')
    .argument('<path...>')
    .action((paths: string[], _options: object, command: Command) => files().then(({ rm }) => rm(urlOf(command), paths)));

  const trash = program.command('trash').description('what rm deleted: list it (the default), restore it, empty it');
  trash
    .command('list', { isDefault: true })
    .description('the items in the trash, newest first, with the day each will be deleted for good')
    .option('--json', 'as a JSON array')
    .action((options: { json?: boolean }, command: Command) => trashing().then(({ listTrash }) => listTrash(urlOf(command), options.json === true)));
  trash
    .command('restore')
    .description('put items back where they were (or at the root, when that folder is gone)')
    .argument('<item...>', 'ids, or names as the trash lists them')
    .action((items: string[], _options: object, command: Command) => trashing().then(({ restore }) => restore(urlOf(command), items)));
  trash
    .command('empty')
    .description('delete everything in the trash for good')
    .action((_options: object, command: Command) => trashing().then(({ emptyTrash }) => emptyTrash(urlOf(command))));
  program
    .command('usage')
    .description('the space your files take, the trash included, and your quota')
    .option('--json', 'as JSON: used, quota, trash, files')
    .action((options: { json?: boolean }, command: Command) => trashing().then(({ usage }) => usage(urlOf(command), options.json === true)));

  program
    .command('upload')
    .description('upload files and folders (recursively, recreating the tree) through resumable uploads')
    .argument('<file-or-folder...>')
    .option('--to <path>', 'the folder to upload into, made when missing', '/')
    .option('--public', 'make the uploaded files public')
    .addOption(jobsOption())
    .addHelpText(
      'after',
      `
Interrupted, the same command again carries on where it stopped, in the middle of a file too,
and skips every file already uploaded to the same place (same name, same SHA-256). Progress
shows on a terminal; the summary is printed in any case. Exit status 0 only when every file
arrived.`,
    )
    .action((sources: string[], options: { to: string; public?: boolean; jobs: number }, command: Command) =>
      uploads().then(({ upload }) => upload(urlOf(command), sources, { to: options.to, public: options.public === true, jobs: options.jobs })),
    );
  program
    .command('download')
    .description('download files and folders (with all they hold), each checked against its SHA-256')
    .argument('<path-or-id...>')
    .option('-o, --output <dir>', 'the local folder to write into', '.')
    .addOption(jobsOption())
    .addHelpText(
      'after',
      `
An interrupted download leaves <name>.fm-partial: the same command again asks only for the rest
(Range). Files already there whole are not fetched again. Exit status 0 only when every file
arrived intact.${PATHS_HELP}`,
    )
    .action((specs: string[], options: DownloadOptions, command: Command) => downloads().then(({ download }) => download(urlOf(command), specs, options)));

  program
    .command('share')
    .description('make a link anyone can use, with no account, to read a file or a folder; prints its URL')
    .argument('<path>')
    .option('--expires <duration>', 'the link ends after this long: 30m, 12h, 7d…')
    .option('--password', 'ask for a password the link will need (or read FM_LINK_PASSWORD)')
    .option('--max-downloads <n>', 'the link ends after this many downloads', (value) => parseCount(value, '--max-downloads'))
    .option('--upload', 'for a folder: a drop folder, which takes uploads and shows nothing')
    .option('--json', 'the whole link as JSON')
    .action((path: string, options: Partial<ShareOptions>, command: Command) =>
      sharing().then(({ share }) =>
        share(urlOf(command), path, { ...options, password: options.password === true, upload: options.upload === true, json: options.json === true }),
      ),
    );
  program
    .command('links')
    .description("a file's or a folder's links")
    .argument('<path>')
    .option('--json', 'as a JSON array')
    .action((path: string, options: { json?: boolean }, command: Command) => sharing().then(({ links }) => links(urlOf(command), path, options.json === true)));
  program
    .command('unshare')
    .description('revoke links, by the ids files-manager links shows')
    .argument('<link-id...>')
    .action((ids: string[], _options: object, command: Command) => sharing().then(({ unshare }) => unshare(urlOf(command), ids)));
  program
    .command('url')
    .description("a signed URL of a file's content: anyone can use it, with no token, until it expires")
    .argument('<path>')
    .option('--expires <duration>', 'how long it works, up to 24h', '1h')
    .action((path: string, options: { expires: string }, command: Command) => sharing().then(({ signedUrl }) => signedUrl(urlOf(command), path, options.expires)));

  return program;
}
