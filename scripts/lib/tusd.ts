/**
 * tusd, the tus protocol's reference server (MIT, Go), as the bench's ceiling for resumable
 * uploads: built once from the Go module proxy into .cache/ (scripts/lib/goBuild.ts) and run on
 * its file store in a temporary folder.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { goProgram } from './goBuild';
import { freePort, ManagedServer } from './services';

const MODULE = 'github.com/tus/tusd/v2/cmd/tusd';
export const TUSD_VERSION = 'v2.9.1';
/** The same path as ours, so a client's endpoint differs only by origin. */
const BASE_PATH = '/uploads/';

/** The cached tusd binary, built on first use. */
export function tusdBinary(): Promise<string> {
  return goProgram({
    name: `tusd ${TUSD_VERSION}`,
    cacheDir: ['tusd', TUSD_VERSION],
    binaryName: 'tusd',
    args: () => ['install', `${MODULE}@${TUSD_VERSION}`],
    // GOTOOLCHAIN=local: fail clearly rather than try to download a newer Go.
    env: { GOTOOLCHAIN: 'local', GOFLAGS: '-buildvcs=false' },
    duration: '1.5 to 4 minutes, less with warm Go caches',
    withoutGo: 'No tusd to compare resumable uploads with',
  });
}

/** tusd answers OPTIONS on its base path with its protocol versions as soon as it listens. */
function answersTus(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.request({ host: '127.0.0.1', port, path: BASE_PATH, method: 'OPTIONS', timeout: 500, agent: false }, (response) => {
      response.resume();
      resolve(response.headers['tus-version'] !== undefined);
    });
    request.once('error', () => resolve(false));
    request.once('timeout', () => {
      request.destroy();
      resolve(false);
    });
    request.end();
  });
}

export interface Tusd {
  /** The creation endpoint, for a client's `endpoint` option. */
  endpoint: string;
  pid: number;
  /** Stops it and removes its uploads. */
  dispose(): Promise<void>;
}

export interface TusdOptions {
  /** Its log (one line per request and event) goes here rather than into our memory. */
  logPath: string;
  /** Largest upload it accepts, as our UPLOAD_MAX_BYTES does. */
  maxSize: number;
}

/** A private tusd on a free loopback port, its file store in a fresh temporary folder. */
export async function startTusd(options: TusdOptions): Promise<Tusd> {
  const binary = await tusdBinary();
  const port = await freePort();
  const uploadDir = mkdtempSync(path.join(os.tmpdir(), 'files-manager-tusd-'));
  const args = [
    '-upload-dir', uploadDir,
    '-host', '127.0.0.1',
    '-port', String(port),
    '-base-path', BASE_PATH,
    '-max-size', String(options.maxSize),
    // Ours keeps no metrics, so the ceiling keeps none either; the greeting is a page no upload needs.
    '-expose-metrics=false',
    '-show-greeting=false',
  ];
  const server = new ManagedServer(
    `tusd ${TUSD_VERSION}`,
    `http://127.0.0.1:${port}`,
    () => {
      const log = openSync(options.logPath, 'a');
      try {
        return spawn(binary, args, { stdio: ['ignore', log, log], env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' } });
      } finally {
        // The child holds its own copy of the descriptor.
        closeSync(log);
      }
    },
    () => answersTus(port),
    () => rmSync(uploadDir, { recursive: true, force: true }),
  );
  try {
    await server.start();
  } catch (error) {
    await server.dispose();
    throw error;
  }
  const pid = server.pid;
  if (pid === undefined) throw new Error('tusd did not start');
  return { endpoint: `http://127.0.0.1:${port}${BASE_PATH}`, pid, dispose: () => server.dispose() };
}
