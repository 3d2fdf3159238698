#!/usr/bin/env node
// Builds the TypeScript side: generated validators, type-check + compile (tests and bench too),
// then one CommonJS bundle of the CLI so each command starts by compiling a single file.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const top = path.resolve(__dirname, '..');
const bin = (name) => path.join(top, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: top, stdio: 'inherit' });

const generator = path.join(top, 'scripts', 'build-validators.js');
if (fs.existsSync(generator)) run(process.execPath, [generator]);

// Stale test files must not linger (node --test runs every file in dist/test).
fs.rmSync(path.join(top, 'dist', 'test'), { recursive: true, force: true });
run(bin('tsc'), ['-p', 'tsconfig.json']);
run(bin('esbuild'), [
  'src/cli.ts', '--bundle', '--platform=node', '--target=node20', '--format=cjs',
  '--outfile=dist/tsrunc.js', '--log-level=warning',
]);
run(process.execPath, [path.join(top, 'scripts', 'build-code-cache.js')]);
