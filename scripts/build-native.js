#!/usr/bin/env node
// Builds the addon and the launcher with node-gyp against this machine's Node headers (never
// downloaded), then checks the launcher is executable: a helper without its exec bit is the most
// common failure of native Node packages, and it must be caught here rather than at `create`.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const top = path.resolve(__dirname, '..');
const nodedir = path.resolve(path.dirname(process.execPath), '..');
if (!fs.existsSync(path.join(nodedir, 'include', 'node', 'common.gypi'))) {
  console.error(`build-native: no Node headers under ${nodedir}/include/node; install them (they are never downloaded)`);
  process.exit(1);
}
const gyp = path.join(top, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
execFileSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '-j', '2'], { cwd: top, stdio: 'inherit' });

const launcher = path.join(top, 'build', 'Release', 'tsrunc-launcher');
fs.chmodSync(launcher, 0o755);
fs.accessSync(launcher, fs.constants.X_OK);
