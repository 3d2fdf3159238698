#!/usr/bin/env node
// Writes the manual pages and shell completions, made from the command table (src/cli-table.ts)
// and the help topics (src/help/topics.ts), so they always describe the command line as built:
//   <out>/man/man8/tsrunc.8, <out>/man/man8/tsrunc-<command>.8
//   <out>/completion/tsrunc.bash (bash), <out>/completion/_tsrunc (zsh)
// It needs tsc's output (dist/src/help/*.js): run it after `tsc -p tsconfig.json`.
// Usage: node scripts/build-docs.js [OUT]   (OUT defaults to dist/)
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const top = path.resolve(__dirname, '..');
const out = path.resolve(process.argv[2] ?? path.join(top, 'dist'));
const compiled = path.join(top, 'dist', 'src', 'help');
if (!fs.existsSync(path.join(compiled, 'man.js'))) {
  console.error(`build-docs: ${compiled}/man.js is missing; compile first (npx tsc -p tsconfig.json)`);
  process.exit(1);
}
const { manPages } = require(path.join(compiled, 'man.js'));
const { bashCompletion, zshCompletion } = require(path.join(compiled, 'completion.js'));

const man8 = path.join(out, 'man', 'man8');
// Pages of commands that no longer exist must not linger.
fs.rmSync(man8, { recursive: true, force: true });
fs.mkdirSync(man8, { recursive: true });
for (const [name, text] of manPages()) fs.writeFileSync(path.join(man8, name), text);

const completion = path.join(out, 'completion');
fs.mkdirSync(completion, { recursive: true });
fs.writeFileSync(path.join(completion, 'tsrunc.bash'), bashCompletion());
fs.writeFileSync(path.join(completion, '_tsrunc'), zshCompletion());
