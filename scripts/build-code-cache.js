#!/usr/bin/env node
// Produces dist/tsrunc.cache: V8's code cache for the CLI bundle, taken after running a hot command
// so the functions it uses are in it. bin/tsrunc wraps the source exactly the same way.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const vm = require('node:vm');

const dist = path.resolve(__dirname, '..', 'dist');
const file = path.join(dist, 'tsrunc.js');
const source = fs.readFileSync(file, 'utf8');
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file });
const mod = { exports: {} };
script.runInThisContext()(mod.exports, require, mod, file, dist);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-cache-'));
mod.exports.main(['--root', root, 'list', '--quiet']).then((code) => {
  fs.rmSync(root, { recursive: true, force: true });
  if (code !== 0) throw new Error(`warming the code cache: list exited ${code}`);
  fs.writeFileSync(path.join(dist, 'tsrunc.cache'), script.createCachedData());
});
