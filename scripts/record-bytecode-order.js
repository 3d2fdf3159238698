#!/usr/bin/env node
// Records which compiled functions the hot commands use, for Bun's profile-guided layout of the
// executable's bytecode (`bun build --bytecode-order`, passed by scripts/build-executable.js when
// scripts/bytecode-order.txt exists): what the commands use then sits together at the front, so
// they touch fewer pages of the executable (measured: about 2 MB less peak RSS for run and exec,
// 0.5 MB for state). One file: each command's functions in PROFILED_COMMANDS order, each function
// once. A profile from an older build still applies, to the functions that kept their bytecode;
// run this again after larger changes. Needs root and a built tree (`npm run build`), as the
// tests do; writes only scripts/bytecode-order.txt.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const top = path.resolve(__dirname, '..');
const outFile = path.join(__dirname, 'bytecode-order.txt');
const exe = path.join(top, 'dist', 'bin', 'tsrunc');
const { makeBundle } = require(path.join(top, 'dist', 'test', 'helpers', 'rootfs.js'));

const { PROFILED_COMMANDS } = require('./bun-compile-flags');

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-bytecode-order-'));
const oneShot = makeBundle({ args: ['/bin/true'] });
const waiting = makeBundle({ args: ['sleep', '60'] });
const id = `bytecode-order-${process.pid}`;
const profiles = {};

function record(name, args) {
  const out = path.join(root, `${name}.txt`);
  const errFile = path.join(root, 'stderr');
  const err = fs.openSync(errFile, 'w');
  // Files, not pipes: a created container's process keeps its stdio open, and a pipe would keep
  // spawnSync waiting for it.
  const r = spawnSync(exe, ['--root', root, ...args], { env: { ...process.env, BUN_BYTECODE_ORDER_OUT: out }, stdio: ['ignore', 'ignore', err] });
  fs.closeSync(err);
  if (r.status !== 0) throw new Error(`tsrunc ${args.join(' ')} failed (${r.status}): ${fs.readFileSync(errFile, 'utf8')}`);
  profiles[name] = fs.readFileSync(out, 'utf8');
}

try {
  record('run', ['run', '--bundle', oneShot.dir, `${id}-run`]);
  record('create', ['create', '--bundle', waiting.dir, id]);
  record('state', ['state', id]);
  record('start', ['start', id]);
  record('exec', ['exec', id, '/bin/true']);
  record('kill', ['kill', id, 'KILL']);
  record('delete', ['delete', '--force', id]);
  // Each profile is a version line, then one line per function.
  const [version] = profiles.run.split('\n');
  const lines = new Set();
  for (const name of PROFILED_COMMANDS) for (const l of profiles[name].split('\n').slice(1)) if (l) lines.add(l);
  fs.writeFileSync(outFile, `${version}\n${[...lines].join('\n')}\n`);
  console.log(`wrote ${path.relative(top, outFile)}: ${lines.size} functions used by ${PROFILED_COMMANDS.join(', ')}`);
} finally {
  spawnSync(exe, ['--root', root, 'delete', '--force', id], { stdio: 'ignore' });
  oneShot.cleanup();
  waiting.cleanup();
  fs.rmSync(root, { recursive: true, force: true });
}
