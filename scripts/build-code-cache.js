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
// The commands run here pull the parser, the state code and the config validator into the cache.
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-cache-'));
const bundle = path.join(work, 'bundle');
fs.mkdirSync(path.join(bundle, 'rootfs'), { recursive: true });
const warmups = [
  ['--root', path.join(work, 'root'), 'list', '--quiet'],
  ['spec', '--bundle', bundle],
  ['--log', path.join(work, 'log'), 'validate', '--bundle', bundle],
];
(async () => {
  try {
    for (const argv of warmups) {
      const code = await mod.exports.main(argv);
      if (code !== 0) throw new Error(`warming the code cache: tsrunc ${argv.join(' ')} exited ${code}`);
    }
    fs.writeFileSync(path.join(dist, 'tsrunc.cache'), script.createCachedData());
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
})().catch((e) => { console.error(e.message); process.exit(1); });
