#!/usr/bin/env node
/**
 * The `files-manager` command (package.json "bin"). It runs the compiled CLI (npm run build)
 * when that is at least as new as its sources, else the TypeScript sources, so that a fresh clone
 * runs it after `npm install` with no build step. Sources are compiled (transpiled only: type
 * checking is `npm run typecheck`'s job) once per change into .cache/cli-js/: compiling them on
 * every run, as ts-node does, took most of a command's start (0.6 s of 0.75 s of CPU for --help).
 */
'use strict';
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const compiled = path.join(root, 'dist', 'cli', 'main.js');
const cacheDir = path.join(root, '.cache', 'cli-js');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

const hash = (...parts) => createHash('sha256').update(parts.join('\0')).digest('hex');

/** The project's compiler options (tsconfig.json), with the source map inline, so a stack trace names the .ts lines. */
function transpile(source, fileName, tsconfig) {
  const ts = require('typescript');
  const { options } = ts.convertCompilerOptionsFromJson(JSON.parse(tsconfig).compilerOptions, root);
  const compilerOptions = { ...options, sourceMap: false, inlineSourceMap: true };
  return ts.transpileModule(source, { compilerOptions, fileName }).outputText;
}

function typescriptVersion() {
  try {
    return require('typescript/package.json').version;
  } catch {
    process.stderr.write('files-manager: TypeScript is missing: `npm install` (with the development packages), or `npm run build`\n');
    process.exit(1);
  }
}

function runSources() {
  const tsconfig = readFileSync(path.join(root, 'tsconfig.json'), 'utf8');
  const version = typescriptVersion();
  require.extensions['.ts'] = (module, fileName) => {
    const source = readFileSync(fileName, 'utf8');
    // At the end, so the code's lines stay where the source map says they are.
    const stamp = `\n// ${hash(version, tsconfig, fileName, source)}\n`;
    const cached = path.join(cacheDir, `${hash(fileName).slice(0, 32)}.js`);
    let code = existsSync(cached) ? readFileSync(cached, 'utf8') : '';
    if (!code.endsWith(stamp)) {
      code = transpile(source, fileName, tsconfig) + stamp;
      try {
        mkdirSync(cacheDir, { recursive: true });
        writeFileSync(`${cached}.${process.pid}`, code);
        renameSync(`${cached}.${process.pid}`, cached);
      } catch {
        // A checkout it cannot write to runs without the cache.
      }
    }
    module._compile(code, fileName);
  };
  process.setSourceMapsEnabled(true);
  require('./main.ts');
}

if (existsSync(compiled) && statSync(compiled).mtimeMs >= newestSource(__dirname)) require(compiled);
else runSources();
