#!/usr/bin/env node
// Hand-written mutations of the C++ side (Stryker has no C++ mutator):
//   npm run mutate:cpp -- AREA [--only N,M] [--list]
// Each mutant of scripts/mutation/cpp-mutants.js is one substitution in one file, a bug someone
// could plausibly write. For each: apply it in a scratch copy of cpp/ and build/ (the working tree
// is never touched), rebuild the launcher (or the addon) with make, run the area's test files
// (scripts/mutation/areas.js, or the mutant's own) against dist/bin/tsrunc pointed at the
// mutated launcher through TSRUNC_LAUNCHER / TSRUNC_ADDON, record killed or survived, and put the
// file back. ^C restores the file and removes the scratch copy. Results: a table, and
// reports/mutation/cpp-AREA.json. Not part of the normal build or test run.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const areas = require('./mutation/areas');
const { compiledTestFile } = require('./mutation/test-files');
const mutants = require('./mutation/cpp-mutants');

const top = path.resolve(__dirname, '..');

function usage(msg) {
  if (msg) console.error(`mutate:cpp: ${msg}`);
  const names = [...new Set(mutants.map((m) => m.area))];
  console.error(`usage: npm run mutate:cpp -- AREA|all [--only N,M] [--list]\nareas: ${names.join(', ')}`);
  process.exit(2);
}

const args = process.argv.slice(2);
const area = args[0];
if (!area) usage('no area given');
let only;
let listOnly = false;
for (let i = 1; i < args.length; i++) {
  if (args[i] === '--only' && args[i + 1]) only = new Set(args[++i].split(',').map(Number));
  else if (args[i] === '--list') listOnly = true;
  else usage(`unknown argument ${args[i]}`);
}
const chosen = mutants.map((m, i) => ({ ...m, n: i + 1 }))
  .filter((m) => (area === 'all' || m.area === area) && (!only || only.has(m.n)));
if (chosen.length === 0) usage(`no mutants for ${area}`);

if (listOnly) {
  for (const m of chosen) console.log(`${String(m.n).padStart(3)} ${m.area.padEnd(9)} ${m.file}: ${m.what}`);
  process.exit(0);
}

/** [file, pattern?] for each named test file that exists; NAME@PATTERN narrows a file to some tests. */
const testFiles = (names) => names.map((n) => {
  const [name, pattern] = n.split('@');
  return [compiledTestFile(top, name), pattern];
}).filter(([f]) => fs.existsSync(f));

// -o Makefile: make must not regenerate node-gyp's Makefile (its regeneration rule names paths
// relative to the repository); the compile commands themselves use absolute include paths.
fs.mkdirSync(path.join(top, '.tmp'), { recursive: true });
const scratch = fs.mkdtempSync(path.join(top, '.tmp', 'mutate-cpp-'));
for (const e of ['cpp', 'build', 'binding.gyp']) fs.cpSync(path.join(top, e), path.join(scratch, e), { recursive: true, preserveTimestamps: true });
fs.symlinkSync(path.join(top, 'node_modules'), path.join(scratch, 'node_modules'));

let restore = () => {};
let child;
function cleanup() {
  restore();
  fs.rmSync(scratch, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (child) try { process.kill(-child.pid, 'SIGINT'); } catch { /* gone */ }
    cleanup();
    console.error(`\nmutate:cpp: interrupted (${sig}); nothing of the tree was changed`);
    process.exit(130);
  });
}

function make(target) {
  const r = spawnSync('make', ['-C', path.join(scratch, 'build'), '-o', 'Makefile', '-j2', 'BUILDTYPE=Release', target], { encoding: 'utf8' });
  return r.status === 0 ? undefined : (r.stdout + r.stderr).split('\n').filter((l) => /error/.test(l)).slice(0, 3).join('\n');
}

const env = {
  ...process.env,
  TSRUNC_LAUNCHER: path.join(scratch, 'build', 'Release', 'tsrunc-launcher'),
  TSRUNC_ADDON: path.join(scratch, 'build', 'Release', 'tsrunc_addon.node'),
};

/** Runs the files one at a time, each in its own process group (so ^C here can end it and its
 * containers' cleanup still runs); the first failing file kills the mutant. */
async function runTests(files) {
  for (const [f, pattern] of files) {
    const a = ['--test', '--test-concurrency=1', ...(pattern ? ['--test-name-pattern', pattern] : []), f];
    const log = fs.openSync(path.join(scratch, 'last-test.log'), 'w');
    const code = await new Promise((resolve) => {
      child = spawn(process.execPath, a, { env, stdio: ['ignore', log, log], detached: true });
      fs.closeSync(log);
      child.on('exit', (c) => resolve(c));
      child.on('error', () => resolve(1));
    });
    child = undefined;
    if (code !== 0) return path.basename(f, '.test.js');
  }
  return undefined;
}

async function main() {
  const results = [];
  try {
    for (const target of ['tsrunc-launcher', 'tsrunc_addon']) {
      const e = make(target);
      if (e) throw new Error(`the unmutated ${target} does not build in ${scratch}:\n${e}`);
    }
    // The tests must pass on the unmutated build, or every mutant would look killed.
    const everyFile = testFiles([...new Set(chosen.flatMap((m) => m.tests ?? [...(areas[m.area]?.unit ?? []), ...(areas[m.area]?.container ?? [])]))]);
    const broken = await runTests(everyFile);
    if (broken) {
      const out = fs.readFileSync(path.join(scratch, 'last-test.log'), 'utf8').split('\n');
      throw new Error(`${broken} fails without any mutant: fix that first\n${out.slice(-40).join('\n')}`);
    }
    for (const m of chosen) {
      const file = path.join(scratch, m.file);
      const original = fs.readFileSync(file, 'utf8');
      const count = original.split(m.find).length - 1;
      const target = m.file.startsWith('cpp/addon/') ? 'tsrunc_addon' : 'tsrunc-launcher';
      const names = m.tests ?? [...(areas[m.area]?.unit ?? []), ...(areas[m.area]?.container ?? [])];
      const files = testFiles(names);
      let status;
      let detail = '';
      if (count !== 1) {
        status = 'stale';
        detail = `the text to replace occurs ${count} times`;
      } else if (files.length === 0) {
        status = 'no tests';
        detail = `none of ${names.join(', ')} is built in dist/test`;
      } else {
        restore = () => {
          fs.writeFileSync(file, original);
          restore = () => {};
        };
        fs.writeFileSync(file, original.replace(m.find, m.replace));
        try {
          const err = make(target);
          if (err) {
            status = 'compile error';
            detail = err;
          } else {
            const killed = await runTests(files);
            status = killed ? 'killed' : 'survived';
            detail = killed ? `by ${killed}` : `ran ${files.map(([f]) => path.basename(f, '.test.js')).join(', ')}`;
          }
        } finally {
          restore();
        }
      }
      results.push({ n: m.n, area: m.area, file: m.file, what: m.what, status, detail });
      console.log(`${String(m.n).padStart(3)} ${status.padEnd(13)} ${m.file}: ${m.what} (${detail})`);
    }
  } finally {
    cleanup();
  }
  const killed = results.filter((r) => r.status === 'killed').length;
  const counted = results.filter((r) => r.status === 'killed' || r.status === 'survived').length;
  console.log(`\n${area}: ${killed} killed of ${counted} (${counted ? Math.round((100 * killed) / counted) : 0}%)` +
    `${results.length > counted ? `, ${results.length - counted} not run (stale or not compiling)` : ''}`);
  const out = path.join(top, 'reports', 'mutation');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, `cpp-${area}.json`), JSON.stringify(results, null, 2) + '\n');
}

main().catch((e) => {
  console.error(`mutate:cpp: ${e.message}`);
  process.exitCode = 1;
});
