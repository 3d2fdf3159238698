#!/usr/bin/env node
// Mutation testing of the TypeScript sources with StrykerJS, one area at a time:
//   npm run mutate -- AREA            (areas: scripts/mutation/areas.js)
//   npm run mutate -- AREA --mutate src/x.ts:10-40    (narrower than the area's files)
//   npm run mutate -- AREA --survivors-of OLD.json     (only the lines of an earlier run's survivors)
//   npm run mutate -- AREA --timeouts-of OLD.json      (... of its timed-out mutants; --timeout-ms N for more time)
// Stryker copies the tree into .stryker-tmp-AREA/, puts every mutant of the area's files into the
// sources at once (switched by __STRYKER_ACTIVE_MUTANT__), type-checks each mutant, compiles with
// tsc once, then runs `node scripts/mutate.js --run-tests AREA` per mutant. That runs the tests
// against the CLI on Node from tsc's output (TSRUNC_BIN=node bin/tsrunc): every tsrunc the tests
// start inherits the variable, so no executable has to be rebuilt per mutant. The report goes to
// reports/mutation/AREA.{json,html}. Not part of the normal build or test run.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const areas = require('./mutation/areas');
const { compiledTestFile } = require('./mutation/test-files');

const top = path.resolve(__dirname, '..');

function usage(msg) {
  if (msg) console.error(`mutate: ${msg}`);
  console.error(`usage: npm run mutate -- AREA [--mutate GLOB[:LINES]]...\nareas: ${Object.keys(areas).join(', ')}`);
  process.exit(2);
}

/** [file, pattern?] for each named test file that exists; NAME@PATTERN narrows a file to some tests. */
function testFiles(names) {
  return names.map((n) => {
    const [name, pattern] = n.split('@');
    return [path.relative(process.cwd(), compiledTestFile(process.cwd(), name)), pattern];
  }).filter(([f]) => fs.existsSync(path.join(process.cwd(), f)));
}

const MUTATION_CGROUP_PARENT = '/tsrunc-mutate';

/**
 * Kills what earlier mutants' tests left running under MUTATION_CGROUP_PARENT (a frozen container
 * thawed first, so it can die) and removes their cgroups. Test containers of normal runs live
 * under /tsrunc-test and are never touched.
 */
function sweepTestContainers() {
  // The parent in every hierarchy, and the top-level siblings a test makes beside it
  // (`/tsrunc-mutate-rt-…`, where only a cgroup right below the root will do).
  const name = MUTATION_CGROUP_PARENT.slice(1);
  const ours = (d) => { try { return fs.readdirSync(d).filter((n) => n === name || n.startsWith(`${name}-`)).map((n) => path.join(d, n)); } catch { return []; } };
  const parents = ours('/sys/fs/cgroup');
  for (const h of fs.existsSync('/sys/fs/cgroup') ? fs.readdirSync('/sys/fs/cgroup') : []) parents.push(...ours(path.join('/sys/fs/cgroup', h)));
  const dirs = [];
  const walk = (d) => {
    let entries = [];
    try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) if (e.isDirectory()) { walk(path.join(d, e.name)); dirs.push(path.join(d, e.name)); }
  };
  for (const p of parents) walk(p);
  const left = dirs.length;
  // The parents go too (children first): nothing of a mutation run stays in the hierarchies.
  for (const p of parents) if (fs.existsSync(p)) dirs.push(p);
  if (dirs.length === 0) return;
  for (const d of dirs) {
    try { fs.writeFileSync(path.join(d, 'freezer.state'), 'THAWED'); } catch { /* not the freezer */ }
    try { fs.writeFileSync(path.join(d, 'cgroup.freeze'), '0'); } catch { /* not cgroup2 */ }
  }
  for (const d of dirs) {
    let pids = [];
    try { pids = fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number); } catch { /* gone */ }
    for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  }
  const until = Date.now() + 5000;
  for (const d of dirs) {
    for (;;) {
      try { fs.rmdirSync(d); break; } catch (e) {
        if (e.code === 'ENOENT' || Date.now() > until) break;
        spawnSync('sleep', ['0.05']);
      }
    }
  }
  if (left > 0) console.error(`mutate: swept ${left} cgroups a timed-out mutant's tests left under ${MUTATION_CGROUP_PARENT}`);
}

/** Per mutant (inside Stryker's sandbox): unit tests, then each container test file; stops at the first failure. */
function runTests(area) {
  const a = areas[area];
  if (!a) usage(`unknown area ${area}`);
  // `touch reports/mutation/STOP` winds a long run down without leaving containers behind: the
  // mutants after it run no test (they count as survived) and are listed in AREA-not-run.txt.
  const reports = path.join(process.env.TSRUNC_MUTATE_REPORTS ?? '', 'STOP');
  if (process.env.TSRUNC_MUTATE_REPORTS && fs.existsSync(reports)) {
    fs.appendFileSync(path.join(process.env.TSRUNC_MUTATE_REPORTS, `${area}-not-run.txt`), `${process.env.__STRYKER_ACTIVE_MUTANT__ ?? ''}\n`);
    process.exit(0);
  }
  // Test containers go under a parent of the mutation run's own: Stryker kills a mutant's tests at
  // its timeout, and what they had running is swept before the next mutant (and by hand, `--sweep`).
  const env = {
    ...process.env,
    TSRUNC_BIN: `${process.execPath} ${path.join(process.cwd(), 'bin', 'tsrunc')}`,
    TSRUNC_TEST_CGROUP_PARENT: MUTATION_CGROUP_PARENT,
  };
  sweepTestContainers();
  const unit = testFiles(a.unit).map(([f]) => f);
  const runs = [...(unit.length > 0 ? [[unit, undefined]] : []), ...testFiles(a.container).map(([f, pattern]) => [[f], pattern])];
  for (const [files, pattern] of runs) {
    const narrow = pattern ? [`--test-name-pattern=${pattern}`] : [];
    const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=dot', ...narrow, ...files], { env, stdio: 'inherit' });
    if (r.status !== 0) process.exit(1);
  }
  process.exit(0);
}

/** A mutant's identity across edits of its file: what it does to which text. */
const mutantKey = (m, source) => {
  const lines = source.split('\n');
  const text = lines.slice(m.location.start.line - 1, m.location.end.line).join('\n');
  return `${m.mutatorName}|${m.replacement}|${text.trim()}`;
};

/** The earlier run's survivors (or its mutants of another status, e.g. Timeout), and the lines of the
 * current files that hold them (moved lines found by their text). */
function survivorsOf(reportFile, status = 'Survived') {
  const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
  const survivors = [];
  const ranges = new Set();
  for (const [file, f] of Object.entries(report.files)) {
    const now = fs.existsSync(path.join(top, file)) ? fs.readFileSync(path.join(top, file), 'utf8').split('\n') : [];
    const old = f.source.split('\n');
    for (const m of f.mutants.filter((x) => x.status === status)) {
      survivors.push({ file, key: mutantKey(m, f.source), where: `${file}:${m.location.start.line}`, what: `${m.mutatorName} ${m.replacement}` });
      const span = old.slice(m.location.start.line - 1, m.location.end.line);
      for (let i = 0; i + span.length <= now.length; i++) {
        if (span.every((l, k) => now[i + k] === l)) ranges.add(`${file}:${i + 1}-${i + span.length}`);
      }
    }
  }
  return { survivors, ranges: [...ranges], status };
}

/** Which of the earlier survivors the new report shows killed (or timed out); those a STOP skipped say so. */
function compareSurvivors(survivors, reportFile, notRunFile, was) {
  const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
  const notRun = new Set(fs.existsSync(notRunFile) ? fs.readFileSync(notRunFile, 'utf8').split('\n').filter(Boolean) : []);
  const now = new Map();
  for (const [file, f] of Object.entries(report.files)) {
    for (const m of f.mutants) now.set(`${file}|${mutantKey(m, f.source)}`, notRun.has(String(m.id)) ? 'NotRun' : m.status);
  }
  let killed = 0;
  for (const s of survivors) {
    const status = now.get(`${s.file}|${s.key}`) ?? 'not found (its line changed)';
    // An earlier timeout re-run is settled only by a kill: timing out again proves nothing new.
    if (status === 'Killed' || (status === 'Timeout' && was !== 'Timeout')) killed++;
    console.log(`${status.padEnd(12)} ${s.where} ${s.what}`);
  }
  console.log(`\n${killed} of ${survivors.length} earlier ${was === 'Timeout' ? 'timed-out mutants' : 'survivors'} are killed now`);
}

function main(argv) {
  if (argv[0] === '--run-tests') return runTests(argv[1]);
  if (argv[0] === '--sweep') return sweepTestContainers();
  const area = argv[0];
  if (!area || !areas[area]) usage(area ? `unknown area ${area}` : 'no area given');
  const mutate = [];
  let earlier;
  let timeoutMS = 30000;
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === '--mutate' && argv[i + 1]) mutate.push(argv[++i]);
    else if (argv[i] === '--survivors-of' && argv[i + 1]) earlier = survivorsOf(argv[++i]);
    else if (argv[i] === '--timeouts-of' && argv[i + 1]) earlier = survivorsOf(argv[++i], 'Timeout');
    else if (argv[i] === '--timeout-ms' && /^\d+$/.test(argv[i + 1] ?? '')) timeoutMS = Number(argv[++i]);
    else usage(`unknown argument ${argv[i]}`);
  }
  if (earlier) {
    if (earlier.ranges.length === 0) usage(`the earlier report has no ${earlier.status} mutant whose lines are still there`);
    mutate.push(...earlier.ranges);
  }
  const reports = path.join(top, 'reports', 'mutation');
  fs.mkdirSync(reports, { recursive: true });
  if (fs.existsSync(path.join(reports, 'STOP'))) usage(`${path.join(reports, 'STOP')} is there: remove it to run (it makes every mutant skip its tests)`);
  const notRunFile = path.join(reports, `${area}-not-run.txt`);
  fs.rmSync(notRunFile, { force: true });
  const config = {
    testRunner: 'command',
    commandRunner: { command: `TSRUNC_MUTATE_REPORTS=${reports} node scripts/mutate.js --run-tests ${area}` },
    // The sandbox has no dist/: compiled once per run, after the mutants are in the sources.
    buildCommand: `${process.execPath} ${path.join(top, "node_modules", "typescript", "bin", "tsc")} -p tsconfig.json`,
    checkers: ['typescript'],
    tsconfigFile: 'tsconfig.json',
    typescriptChecker: { prioritizePerformanceOverAccuracy: true },
    mutate: mutate.length > 0 ? mutate : areas[area].mutate,
    coverageAnalysis: 'off',
    // Containers share the machine's mounts and cgroups, and the tests measure timeouts: one at a time.
    concurrency: 1,
    timeoutMS,
    timeoutFactor: 2,
    ignorePatterns: ['dist', 'reports', 'bench', '.tmp', '*.log', '.stryker-tmp*'],
    // One per area: a run that ends removes its temporary directory, whoever else is using it.
    tempDirName: `.stryker-tmp-${area}`,
    reporters: ['clear-text', 'progress-append-only', 'json', 'html'],
    jsonReporter: { fileName: path.join('reports', 'mutation', `${area}${earlier ? '-survivors' : ''}.json`) },
    htmlReporter: { fileName: path.join('reports', 'mutation', `${area}${earlier ? '-survivors' : ''}.html`) },
    clearTextReporter: { allowColor: false, logTests: false },
    thresholds: { high: 90, low: 70, break: null },
  };
  const file = path.join(os.tmpdir(), `tsrunc-stryker-${area}-${process.pid}.json`);
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  try {
    const stryker = path.join(top, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js');
    if (!fs.existsSync(stryker)) usage('StrykerJS is not installed: npm install (it is a dev dependency)');
    const r = spawnSync(process.execPath, [stryker, 'run', file], { cwd: top, stdio: 'inherit' });
    process.exitCode = r.status ?? 1;
    // The last mutant's tests may have been cut off at its timeout too.
    sweepTestContainers();
    if (earlier && r.status === 0) compareSurvivors(earlier.survivors, path.join(reports, `${area}-survivors.json`), notRunFile, earlier.status);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

main(process.argv.slice(2));
