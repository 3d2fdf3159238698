#!/usr/bin/env node
// Builds the addon and the launcher with node-gyp against this machine's Node headers (never
// downloaded), then checks the launcher is executable: a helper without its exec bit is the most
// common failure of native Node packages, and it must be caught here rather than at `create`.
// Skips the build when both outputs are newer than every source (npm ci runs this as the install
// script, and `npm run build` runs it again).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const top = path.resolve(__dirname, '..');
const outputs = ['tsrunc-launcher', 'tsrunc_addon.node'].map((f) => path.join(top, 'build', 'Release', f));
const launcher = outputs[0];

function newestSource() {
  let newest = fs.statSync(path.join(top, 'binding.gyp')).mtimeMs;
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  walk(path.join(top, 'cpp'));
  return newest;
}

const upToDate = outputs.every((f) => fs.existsSync(f) && fs.statSync(f).mtimeMs > newestSource());
if (!upToDate || process.argv.includes('--force')) {
  const nodedir = path.resolve(path.dirname(process.execPath), '..');
  if (!fs.existsSync(path.join(nodedir, 'include', 'node', 'common.gypi'))) {
    console.error(`build-native: no Node headers under ${nodedir}/include/node; install them (they are never downloaded)`);
    process.exit(1);
  }
  const gyp = path.join(top, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  execFileSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '-j', '2'], { cwd: top, stdio: 'inherit' });
}
fs.chmodSync(launcher, 0o755);
fs.accessSync(launcher, fs.constants.X_OK);
