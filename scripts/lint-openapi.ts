/**
 * `npm run lint:openapi` (part of `npm run lint`): lints the OpenAPI document as the server
 * serves it, built from routes/openapi.ts, with redocly's recommended rules (redocly.yaml).
 * Warnings fail it too, where redocly itself fails only on errors.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openApiDocument } from '../routes/openapi';
import { runMain, StartupError } from '../utils/lifecycle';
import { log } from '../utils/log';
import { ROOT } from './lib/processes';

const CLI = path.join(path.dirname(require.resolve('@redocly/cli/package.json')), 'bin', 'cli.js');

function redocly(file: string, format: 'json' | 'codeframe'): { stdout: string; stderr: string } {
  // Offline and quiet: no usage report, no check for a newer version.
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
  return spawnSync(process.execPath, [CLI, 'lint', '--config', path.join(ROOT, 'redocly.yaml'), '--format', format, file], { env, encoding: 'utf8' });
}

runMain('openapi lint', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'files-manager-openapi-'));
  try {
    const file = path.join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(openApiDocument(), null, 2));
    const { stdout, stderr } = redocly(file, 'json');
    let totals: { errors: number; warnings: number };
    try {
      ({ totals } = JSON.parse(stdout) as { totals: typeof totals });
    } catch {
      throw new StartupError(`redocly lint gave no report: ${stderr.trim()}`);
    }
    if (totals.errors > 0 || totals.warnings > 0) {
      // The report again, for people this time.
      const readable = redocly(file, 'codeframe');
      process.stderr.write(readable.stdout + readable.stderr);
      throw new StartupError(`the OpenAPI document has ${totals.errors} errors and ${totals.warnings} warnings`);
    }
    log.info('the OpenAPI document passes redocly lint (recommended rules)');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
