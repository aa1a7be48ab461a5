import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { onPath, ServiceSetupError } from './host';
import { ROOT } from './processes';

/** A Go program the tooling needs and builds once into .cache/ (FerretDB's launcher, versitygw). */
export interface GoProgram {
  /** In messages. */
  name: string;
  /** Under .cache/: the name, then what identifies this build (a version, a hash of the sources), so a change builds anew. */
  cacheDir: string[];
  binaryName: string;
  /** `go` arguments that write the binary into `outDir` (GOBIN is set to it too). */
  args: (outDir: string) => string[];
  /** Where `go` runs; the private output folder when absent. */
  cwd?: string;
  env?: Record<string, string>;
  /** How long it takes, for the message shown while it builds. */
  duration: string;
  /** What to do instead when Go is not installed. */
  withoutGo: string;
}

/** Go on PATH, or where its official archive installs it. */
function goBinary(): string | undefined {
  return onPath('go') ?? ['/usr/local/go/bin/go'].find((candidate) => existsSync(candidate));
}

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(command)} ${args.join(' ')} failed (${signal ?? `exit code ${code}`}):\n${output}`));
    });
  });
}

/** The program's binary, built on first use. */
export async function goProgram(program: GoProgram): Promise<string> {
  const dir = path.join(ROOT, '.cache', ...program.cacheDir);
  const binary = path.join(dir, program.binaryName);
  if (existsSync(binary)) return binary;

  const go = goBinary();
  if (go === undefined) throw new ServiceSetupError(`${program.withoutGo}, or install Go so ${program.name} can be built.`);
  console.error(`Building ${program.name} once into ${path.relative(ROOT, dir)} (${program.duration})...`);
  // A private output folder per build, renamed into place at the end, means a killed build or
  // two builds at once never leave a half-written binary at `binary`.
  const outDir = path.join(dir, `.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(outDir, { recursive: true });
  try {
    const build = (cgo: '0' | '1') =>
      run(go, program.args(outDir), {
        cwd: program.cwd ?? outDir,
        env: { ...process.env, GOBIN: outDir, CGO_ENABLED: cgo, ...program.env },
      });
    try {
      await build('0');
    } catch (staticError) {
      // A static build is preferred (no libc coupling); fall back to cgo only if that fails.
      try {
        await build('1');
      } catch {
        throw staticError;
      }
    }
    renameSync(path.join(outDir, program.binaryName), binary);
  } catch (error) {
    throw new ServiceSetupError(`Building ${program.name} failed: ${(error as Error).message}`);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  return binary;
}
