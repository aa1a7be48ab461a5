import { expect } from 'chai';
import { type Command, CommanderError } from 'commander';
import { request, requestJson } from '../../scripts/lib/client';
import { buildProgram } from '../../cli/program';
import { cli, cliFails, cliHarness, cliOk, type CliOptions, loggedInUser, newHome, setQuota } from './kit';

/** ls, mkdir, mv, rename, rm, trash, usage, share, links, unshare, url, names that are ambiguous, and --help. */

interface Item {
  id: string;
  name: string;
  type: string;
  isPublic: boolean;
  size: number | null;
  parentId: string | number;
}

/** A file made through the API (POST /files, JSON), as another client would have. */
async function apiFile(token: string, name: string, content: string, parentId: string | number = 0, isPublic = false): Promise<Item> {
  const reply = await requestJson('POST', `${cliHarness().baseUrl}/files`, { name, type: 'file', parentId, isPublic, data: Buffer.from(content).toString('base64') }, { headers: { 'X-Token': token } });
  expect(reply.status, reply.text).to.equal(201);
  return JSON.parse(reply.text) as Item;
}

async function lsJson(path: string, options: CliOptions): Promise<Item[]> {
  return JSON.parse((await cliOk(['ls', '--json', path], options)).stdout) as Item[];
}

const names = (items: readonly Item[]): string[] => items.map((item) => item.name);

describe('cli: files and folders', function () {
  this.timeout(60_000);
  this.slow(8_000);

  it('ls prints a table of name, type, size, public and id, and with --json an array of the children', async () => {
    const { account, options } = await loggedInUser();
    await cliOk(['mkdir', '-p', '/Holidays 2026/beach'], options);
    const notes = await apiFile(account.token, 'notes.txt', 'Hello Webstack!\n', 0, true);

    const table = (await cliOk(['ls'], options)).stdout.trim().split('\n');
    expect(table[0]).to.match(/^NAME\s+TYPE\s+SIZE\s+PUBLIC\s+ID$/);
    expect(table[1]).to.match(/^Holidays 2026\s+folder\s+-\s+no\s+[0-9a-f]{24}$/);
    expect(table[2]).to.equal(`notes.txt      file    16 B  yes     ${notes.id}`);

    const root = await lsJson('/', options);
    expect(names(root)).to.deep.equal(['Holidays 2026', 'notes.txt']);
    for (const item of root) expect(item).to.include.keys('id', 'name', 'type', 'isPublic', 'size');
    expect(root[1]).to.include({ id: notes.id, type: 'file', isPublic: true, size: 16 });
    const holidays = await lsJson('/Holidays 2026', options);
    expect(holidays.map(({ name, type, size }) => ({ name, type, size }))).to.deep.equal([{ name: 'beach', type: 'folder', size: null }]);
    expect(await lsJson(notes.id, options), 'a file by id').to.have.length(1);
    await cliFails(['ls', '/Holidays 2026/sea'], options, 'No such file or folder: /Holidays 2026/sea');
  });

  it('mkdir makes a folder in an existing one and refuses one that exists; -p makes the parents and accepts what exists', async () => {
    const { options } = await loggedInUser();
    expect((await cliOk(['mkdir', '-p', '/a/b/c'], options)).stdout.trim().split('\n')).to.deep.equal(['Created /a', 'Created /a/b', 'Created /a/b/c']);
    expect((await cliOk(['mkdir', '-p', '/a/b/c'], options)).stdout, 'nothing more to make').to.equal('');
    expect((await cliOk(['mkdir', '/a/d'], options)).stdout.trim()).to.equal('Created /a/d');
    await cliFails(['mkdir', '/a/d'], options, 'Already exists: /a/d');
    await cliFails(['mkdir', '/x/y'], options, 'No such folder: /x');
    expect(names(await lsJson('/a', options))).to.deep.equal(['b', 'd']);
  });

  it('mv moves into a folder or to a new name, rename renames, and rm puts in the trash, from which trash restores and trash empty deletes', async () => {
    const { account, options } = await loggedInUser();
    await cliOk(['mkdir', '-p', '/docs', '/archive'], options);
    const report = await apiFile(account.token, 'report.txt', 'Quarterly report\n');
    await apiFile(account.token, 'todo.txt', 'nothing\n');

    expect((await cliOk(['mv', '/report.txt', '/todo.txt', '/docs'], options)).stdout).to.include('Moved /report.txt into /docs');
    await cliOk(['mv', '/docs/report.txt', '/archive/q4.txt'], options);
    await cliOk(['rename', '/archive/q4.txt', 'q4-report.txt'], options);
    const archive = await lsJson('/archive', options);
    expect(archive.map(({ id, name }) => ({ id, name }))).to.deep.equal([{ id: report.id, name: 'q4-report.txt' }]);
    await cliFails(['mv', '/docs/todo.txt', '/nowhere/todo.txt'], options, 'No such folder: /nowhere');
    const slash = await cli(['rename', '/archive/q4-report.txt', 'a/b'], options);
    expect(slash.code).to.equal(2);
    expect(slash.stderr).to.include('A name cannot hold "/"');

    expect((await cliOk(['rm', '/archive', '/docs/todo.txt'], options)).stdout).to.include('Moved to the trash: /archive');
    expect(names(await lsJson('/', options))).to.deep.equal(['docs']);
    const trash = (await cliOk(['trash'], options)).stdout;
    expect(trash).to.match(/^NAME\s+TYPE\s+TRASHED\s+PURGED ON\s+ID$/m);
    expect(trash).to.match(/^archive\s+folder\s/m);
    expect(trash).to.match(/^todo\.txt\s+file\s/m);
    await cliOk(['trash', 'restore', 'archive'], options);
    expect(names(await lsJson('/archive', options)), 'restored with what it held').to.deep.equal(['q4-report.txt']);
    expect((await cliOk(['trash', 'empty'], options)).stdout).to.include('Emptied the trash');
    expect(JSON.parse((await cliOk(['trash', 'list', '--json'], options)).stdout)).to.deep.equal([]);
    await cliFails(['trash', 'restore', 'todo.txt'], options, 'Not in the trash: todo.txt');
  });

  it('usage prints what the files take, the trash and the quota', async () => {
    const { account, options } = await loggedInUser();
    await apiFile(account.token, 'a.txt', 'x'.repeat(1000));
    await setQuota(account.email, 4096);
    expect((await cliOk(['usage'], options)).stdout.trim()).to.equal('Used 1000 B of 4.0 KiB (24%); 0 B in the trash; 1 files');
    expect(JSON.parse((await cliOk(['usage', '--json'], options)).stdout)).to.deep.equal({ used: 1000, quota: 4096, trash: 0, files: 1 });
  });

  it('stops at a name two items share, lists both ids, exits non-zero and changes nothing', async () => {
    const { account, options } = await loggedInUser();
    const first = await apiFile(account.token, 'same.txt', 'one');
    const second = await apiFile(account.token, 'same.txt', 'two');
    for (const args of [['rm', '/same.txt'], ['download', '/same.txt', '-o', newHome()], ['share', '/same.txt']]) {
      const failed = await cliFails(args, options, '"/same.txt" is ambiguous: 2 items have that name. Name the one you mean by its id:');
      expect(failed.stderr).to.include(first.id).and.to.include(second.id);
    }
    expect(await lsJson('/', options), 'both still there').to.have.length(2);
    await cliOk(['rm', second.id], options);
    expect((await lsJson('/', options)).map((item) => item.id)).to.deep.equal([first.id]);
  });

  it('share prints a URL that serves the file, within its limits; links lists the links; unshare revokes one', async () => {
    const { account, options } = await loggedInUser();
    await apiFile(account.token, 'report.txt', 'Quarterly report\n');
    const shared = await cliOk(['share', '/report.txt', '--expires', '7d', '--max-downloads', '1'], options);
    const url = shared.stdout.trim().split('\n').at(-1) ?? '';
    expect(url, 'alone on the last line').to.match(/^http:\/\/127\.0\.0\.1:\d+\/s\/[\w-]+$/);
    expect(shared.stderr).to.match(/expires \d{4}-\d\d-\d\dT.*, 0 of 1 downloads, no password/);
    expect((await request('GET', url)).text).to.equal('Quarterly report\n');
    expect((await request('GET', url)).status, 'past its one download').to.equal(404);

    const guarded = await cliOk(['share', '/report.txt', '--password'], { ...options, env: { FM_LINK_PASSWORD: 's3cret' } });
    const guardedUrl = guarded.stdout.trim();
    expect((await request('GET', guardedUrl)).status).to.equal(401);
    expect((await request('GET', guardedUrl, { headers: { 'X-Link-Password': 's3cret' } })).text).to.equal('Quarterly report\n');

    const listed = JSON.parse((await cliOk(['links', '/report.txt', '--json'], options)).stdout) as { id: string; url: string; hasPassword: boolean }[];
    expect(listed.map((link) => link.url)).to.deep.equal([url, guardedUrl]);
    expect((await cliOk(['links', '/report.txt'], options)).stdout).to.match(/^ID\s+EXPIRES\s+DOWNLOADS\s+PASSWORD\s+DROP\s+URL$/m);
    await cliOk(['unshare', listed[1]?.id ?? ''], options);
    expect((await request('GET', guardedUrl, { headers: { 'X-Link-Password': 's3cret' } })).status, 'revoked').to.equal(404);

    await cliOk(['mkdir', '/inbox'], options);
    const drop = await cliOk(['share', '/inbox', '--upload'], options);
    expect(drop.stderr).to.include('drop folder');
    const sent = await request('POST', `${drop.stdout.trim()}?name=note.txt&type=file`, { headers: { 'Content-Type': 'application/octet-stream' }, body: 'for you' });
    expect(sent.status, sent.text).to.equal(201);
    expect(names(await lsJson('/inbox', options))).to.deep.equal(['note.txt']);
  });

  it('url prints a signed URL that serves the file with no token; a folder has none', async () => {
    const { account, options } = await loggedInUser();
    await apiFile(account.token, 'report.txt', 'Quarterly report\n');
    await cliOk(['mkdir', '/docs'], options);
    const signed = (await cliOk(['url', '/report.txt', '--expires', '10m'], options)).stdout.trim();
    expect(signed).to.match(/\/files\/[0-9a-f]{24}\/data\?.*signature=/);
    expect((await request('GET', signed)).text).to.equal('Quarterly report\n');
    await cliFails(['url', '/docs'], options, 'Only a file has a signed URL');
    const bad = await cli(['url', '/report.txt', '--expires', 'soon'], options);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('Invalid duration "soon"');
  });

  it('has --help for every command', async () => {
    const seen: string[] = [];
    const visit = async (command: Command, path: string[]): Promise<void> => {
      for (const sub of command.commands) {
        const words = [...path, sub.name()];
        let help = '';
        const program = buildProgram();
        program.configureOutput({ writeOut: (text) => (help += text) });
        for (const each of program.commands) each.configureOutput({ writeOut: (text) => (help += text) });
        for (const each of program.commands.flatMap((inner) => inner.commands)) each.configureOutput({ writeOut: (text) => (help += text) });
        const outcome = await program.parseAsync(['node', 'files-manager', ...words, '--help']).catch((error: unknown) => error);
        expect(outcome, words.join(' ')).to.be.instanceOf(CommanderError);
        expect((outcome as CommanderError).exitCode).to.equal(0);
        expect(help, words.join(' ')).to.include(`Usage: files-manager ${words.join(' ')}`);
        seen.push(words.join(' '));
        await visit(sub, words);
      }
    };
    await visit(buildProgram(), []);
    expect(seen).to.include.members(['login', 'logout', 'whoami', 'ls', 'mkdir', 'mv', 'rename', 'rm', 'trash', 'trash restore', 'trash empty', 'usage', 'upload', 'download', 'share', 'links', 'unshare', 'url']);
    const spawned = await cliOk(['upload', '--help'], { home: newHome() });
    expect(spawned.stdout).to.include('Usage: files-manager upload [options] <file-or-folder...>');
  });
});
