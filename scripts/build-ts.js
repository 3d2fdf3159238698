#!/usr/bin/env node
// Builds the TypeScript side: generated validators and contract types, then type-check + compile to dist/ (sources,
// tests, bench), and the man pages and completions. The executable users run is made from the
// sources by build-executable.js.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const top = path.resolve(__dirname, '..');
const bin = (name) => path.join(top, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: top, stdio: 'inherit' });

const generator = path.join(top, 'scripts', 'build-validators.js');
if (fs.existsSync(generator)) run(process.execPath, [generator]);
// The launcher contract's TypeScript side (also run by `npm run build` before the native build).
run(process.execPath, [path.join(top, 'scripts', 'build-contract.js')]);

// Stale test files must not linger (node --test runs every file in dist/test).
fs.rmSync(path.join(top, 'dist', 'test'), { recursive: true, force: true });
run(bin('tsc'), ['-p', 'tsconfig.json']);
// Man pages and shell completion, from the same command table as the parser (docs/cli.md).
run(process.execPath, [path.join(top, 'scripts', 'build-docs.js')]);
