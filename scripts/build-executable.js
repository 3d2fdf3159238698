#!/usr/bin/env node
// Builds what users install: dist/bin/tsrunc, one executable made by Bun (the pinned dev
// dependency) from src/executable.ts, with the addon and the launcher beside it in
// dist/libexec/tsrunc/ (the layout scripts/install.sh reproduces under a prefix). Nothing is
// embedded that would have to be written out as executable code at run time.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const top = path.resolve(__dirname, '..');
const dist = path.join(top, 'dist');
const bun = path.join(top, 'node_modules', '.bin', 'bun');
const libexec = path.join(dist, 'libexec', 'tsrunc');

fs.mkdirSync(path.join(dist, 'bin'), { recursive: true });
fs.mkdirSync(libexec, { recursive: true });
const { COMPILE_FLAGS } = require('./bun-compile-flags');
// Profile-guided layout of the bytecode (scripts/record-bytecode-order.js): the functions a hot
// command uses sit together, so it touches fewer of the executable's pages. Without profiles the
// build is the same, only laid out in source order.
const profile = path.join(__dirname, 'bytecode-order.txt');
execFileSync(bun, [
  'build', 'src/executable.ts', ...COMPILE_FLAGS,
  ...(fs.existsSync(profile) ? [`--bytecode-order=${profile}`] : []),
  '--outfile', path.join(dist, 'bin', 'tsrunc'),
], { cwd: top, stdio: ['ignore', 'ignore', 'inherit'] });

for (const file of ['tsrunc_addon.node', 'tsrunc-launcher']) {
  const to = path.join(libexec, file);
  // Replaced, never rewritten in place: a running container may have the old launcher mapped.
  fs.rmSync(to, { force: true });
  fs.copyFileSync(path.join(top, 'build', 'Release', file), to);
  fs.chmodSync(to, 0o755);
}
