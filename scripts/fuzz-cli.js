#!/usr/bin/env node
// Fuzzes tsrunc's command line: random argv built from the command table (src/cli-table.ts: the
// commands, their flags and aliases, values of the right and of the wrong kind, container ids good
// and bad, paths), each run by the real executable against a scratch --root with no container in
// it. Every invocation must end by itself with a documented exit code (0 or 1; exec 255), say
// why when it fails, never show an engine's words (a stack, TypeError, ERR_..., "undefined"), and
// leave nothing: no state, mount, cgroup or process, no file but a --log file and spec's config.json
// (and for the running container: no other container, no process of its left once it settles).
//
//   node scripts/fuzz-cli.js [--runs 300] [--seed S] [--seconds T] [--verbose]
//
// Needs `npm run build` (the executable and dist/src/cli-table.js). test/integration/safety/
// fuzz-cli.test.ts runs it in CI with a fixed seed; by hand, no --seed draws one (printed first).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const fc = require('fast-check');
const common = require('./fuzz-common');

const { COMMANDS, GLOBAL_OPTIONS } = require(path.join(common.TOP, 'dist', 'src', 'cli-table.js'));
const { makeBundle, TEST_CGROUP_PARENT } = require(path.join(common.TOP, 'dist', 'test', 'helpers', 'rootfs.js'));

const MARKER = `fzcli${process.pid}`;
// A path whose parent does not exist, so no invocation can make it (or, through the sandbox's
// dangling symlink to it, anything outside the sandbox).
const OUTSIDE = '/nonexistent-tsrunc-fuzz';
const VALID_CONFIG = fs.readFileSync(path.join(common.TOP, 'spec-fixtures', 'valid', fs.readdirSync(path.join(common.TOP, 'spec-fixtures', 'valid')).filter((f) => f.endsWith('.json')).sort()[0]), 'utf8');

// The sandbox every invocation runs in (its cwd), remade for each: the state root, and paths of
// every kind a flag may be given. Relative paths resolve inside it; absolute ones are these or
// names that cannot exist, so no invocation can reach anything of the host's.
function makeSandbox() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tsrunc-${MARKER}-`));
  fs.mkdirSync(path.join(dir, 'root'), { mode: 0o700 });
  fs.mkdirSync(path.join(dir, 'empty'));
  fs.writeFileSync(path.join(dir, 'file'), 'not a directory\n');
  fs.mkdirSync(path.join(dir, 'badjson'));
  fs.writeFileSync(path.join(dir, 'badjson', 'config.json'), '{"ociVersion": "1.0.0", ');
  // A valid config whose root filesystem is missing: the bundle is refused before anything is made.
  fs.mkdirSync(path.join(dir, 'norootfs'));
  fs.writeFileSync(path.join(dir, 'norootfs', 'config.json'), VALID_CONFIG);
  fs.writeFileSync(path.join(dir, 'process.json'), '{"args": ["true"], "cwd": "relative"}');
  fs.writeFileSync(path.join(dir, 'resources.json'), '{"memory": {"limit": "lots"}}');
  fs.symlinkSync(`${OUTSIDE}/missing`, path.join(dir, 'dangling'));
  return dir;
}

// The running container's id; argv that name it run against its root.
const LIVE = `${MARKER}live`;

const ID = fc.oneof(
  { weight: 3, arbitrary: fc.constant(LIVE) },
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,12}$/).map((s) => `${MARKER}${s}`) },
  { weight: 3, arbitrary: fc.constantFrom('', '.', '..', '../x', '../../root', 'a/b', '/abs', 'a b', '-x', '--', 'ünï', 'a\nb', '*', 'x'.repeat(1025), `${MARKER}${'y'.repeat(300)}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);
const PATH = fc.constantFrom('empty', 'file', 'badjson', 'norootfs', 'dangling', 'missing/deeper', '.', '', 'root', 'empty/x.log',
  '/dev/null', `${OUTSIDE}/missing`, 'process.json', 'resources.json', '-');
const NUMBER = fc.constantFrom('0', '1', '3', '-1', '1.5', 'NaN', '1e999', '0x10', '99999999999999999999', '2147483648', ' 1', 'abc', '');
const WORD = fc.oneof(fc.constantFrom('KILL', 'SIGKILL', '9', '0', '65', 'SIGFOO', 'true', 'false', 'auto', 'json', 'table', 'text',
  '5s', '0s', '-1s', '1h', '500ms', '1000000h', 'CAP_SYS_ADMIN', 'CAP_NOPE', '0:0', '1000:', ':', 'a:b', 'cpu,memory:/x', '10-1', '1g', '-5m'),
fc.string({ maxLength: 12 }), NUMBER);

/** A value for a flag: mostly what its kind expects, sometimes anything. */
function valueFor(spec) {
  const right = spec.choices ? fc.constantFrom(...spec.choices)
    : spec.type === 'number' ? NUMBER
      : /FILE|DIR|SOCKET|PATH/.test(spec.arg ?? '') ? PATH : WORD;
  return fc.oneof({ weight: 3, arbitrary: right }, { weight: 1, arbitrary: fc.oneof(WORD, PATH, ID) });
}

/** One occurrence of a flag from `table`, in one of the spellings a parser must read. */
function flagFrom(table) {
  const names = Object.keys(table);
  return fc.constantFrom(...names).chain((name) => {
    const spec = table[name];
    const spelling = fc.oneof({ weight: 8, arbitrary: fc.constant(`--${name}`) },
      { weight: spec.alias ? 4 : 0, arbitrary: fc.constant(`-${spec.alias}`) }, { weight: 1, arbitrary: fc.constant(`-${name}`) });
    return fc.tuple(spelling, valueFor(spec), fc.nat(19)).map(([flag, value, how]) => {
      if (spec.type === 'boolean') {
        // Right: bare; wrong: given a value inline or as the next word.
        return how < 16 ? [flag] : how < 18 ? [`${flag}=${value}`] : [flag, value];
      }
      // Right: --flag VALUE or --flag=VALUE; wrong: the value missing.
      return how < 11 ? [flag, value] : how < 19 ? [`${flag}=${value}`] : [flag];
    });
  });
}

const ALL_OPTIONS = Object.assign({}, ...COMMANDS.map((c) => c.options));
const STRAY = fc.constantFrom(['--nope'], ['-Z'], ['--'], ['-'], ['--=x'], ['---bundle', 'x'], ['-fq'], ['-dt'], ['-h'], ['--help'], ['--version'], ['help']);

/** The global options given, always after a --root inside the sandbox (a later --root stays inside too). */
const GLOBALS = fc.array(fc.oneof(
  { weight: 6, arbitrary: flagFrom(Object.fromEntries(Object.entries(GLOBAL_OPTIONS).filter(([n]) => n !== 'root'))) },
  { weight: 1, arbitrary: fc.constantFrom(['--root', 'empty'], ['--root', 'file'], ['--root', ''], ['--root=missing/deeper'], ['--root', 'dangling']) },
), { maxLength: 2 });

const COMMAND_WORD = fc.oneof({ weight: 20, arbitrary: fc.constantFrom(...COMMANDS.map((c) => c.name)) },
  { weight: 1, arbitrary: fc.constantFrom('help', 'nope', 'CREATE', '', 'checkpoint', 'restore') });

const POSITIONAL = fc.oneof({ weight: 6, arbitrary: ID }, { weight: 1, arbitrary: WORD }, { weight: 1, arbitrary: PATH });

// Mostly well-formed invocations (the command's own flags, as many positionals as it takes), with
// now and then one thing wrong: a flag of another command or none, a stray token, a positional
// too many or too few. Wholly random argv stop at the first word and reach nothing.
const ARGV = fc.tuple(GLOBALS, COMMAND_WORD).chain(([globals, word]) => {
  const command = COMMANDS.find((c) => c.name === word);
  const own = command && Object.keys(command.options).length > 0 ? command.options : GLOBAL_OPTIONS;
  const [min, max] = command ? command.positional : [0, 1];
  const part = fc.oneof(
    { weight: 20, arbitrary: flagFrom(own) },
    { weight: 1, arbitrary: flagFrom(ALL_OPTIONS) },
    { weight: 1, arbitrary: flagFrom(GLOBAL_OPTIONS).filter((f) => !/^-+root/.test(f[0])) },
    { weight: 1, arbitrary: STRAY },
  );
  const count = fc.oneof({ weight: 10, arbitrary: fc.integer({ min, max: Math.min(max, min + 2) }) }, { weight: 1, arbitrary: fc.nat(3) });
  return fc.tuple(fc.array(part, { maxLength: 4 }), count.chain((n) => fc.array(POSITIONAL, { minLength: n, maxLength: n })), fc.nat(4))
    .map(([flags, positionals, split]) => {
      // Flags before and after the positionals, as engines and people mix them.
      const head = flags.slice(0, split).flat();
      const tail = flags.slice(split).flat();
      return [...globals.flat(), word, ...head, ...positionals, ...tail];
    });
});

/** What an invocation made in its sandbox that it may make: a --log file, spec's config.json. */
function allowedNew(argv, code, rel) {
  const logs = argv.flatMap((a, i) => (a === '--log' || a === '-log' ? [argv[i + 1]] : a.startsWith('--log=') ? [a.slice(6)] : []));
  if (logs.some((l) => l !== undefined && path.normalize(l) === rel)) return true;
  if (argv.includes('spec') && code === 0 && path.basename(rel) === 'config.json') return true;
  return false;
}

let verbose = false;

let live;

/** The running container, made (again) or resumed when an earlier case killed, deleted or paused it. */
async function ensureLive() {
  const run = (a) => common.runTsrunc(['--root', live.root, ...a], { cwd: live.base, timeoutMs: 60_000 });
  const st = await run(['state', LIVE]);
  const status = st.code === 0 ? JSON.parse(st.stdout).status : 'none';
  if (status === 'running') return;
  if (status === 'paused') { if ((await run(['resume', LIVE])).code === 0) return; }
  if (status === 'created') { if ((await run(['start', LIVE])).code === 0) return; }
  await run(['delete', '--force', LIVE]);
  for (const step of [['create', '--bundle', live.bundle.dir, LIVE], ['start', LIVE]]) {
    const r = await run(step);
    if (r.code !== 0) throw new Error(`cannot make the running container: ${common.describe(r)}`);
  }
}

/** Pids in the running container's cgroup (the pids controller's, or the unified one's). */
function livePids() {
  for (const r of common.cgroupRoots()) {
    try {
      return fs.readFileSync(path.join(r, live.cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
    } catch { /* not in this hierarchy */ }
  }
  return [];
}

async function check(argv) {
  const sandbox = makeSandbox();
  const isLive = argv.includes(LIVE);
  try {
    if (isLive) await ensureLive();
    const before = common.treeOf(sandbox);
    const pidsBefore = isLive ? livePids() : [];
    const args = ['--root', isLive ? live.root : 'root', ...argv];
    // events streams until stopped unless --stats: a few seconds of it are enough.
    const streams = isLive && argv.includes('events') && !argv.some((a) => /^--stats(=(1|t|T|TRUE|true|True))?$/.test(a));
    const r = await common.runTsrunc(args, { cwd: sandbox, timeoutMs: streams ? 3_000 : 20_000 });
    const logText = argv.flatMap((a, i) => (a === '--log' ? [argv[i + 1]] : a.startsWith('--log=') ? [a.slice(6)] : []))
      .map((l) => { try { return fs.statSync(path.resolve(sandbox, l)).isFile() ? fs.readFileSync(path.resolve(sandbox, l), 'utf8') : ''; } catch { return ''; } })
      .join('\n');
    const loggedAway = argv.some((a, i) => (a === '--log' && argv[i + 1] !== undefined) || a.startsWith('--log=')) && logText === '';
    const codes = argv.includes('exec') ? [0, 1, 255] : [0, 1];
    const logGiven = argv.some((a, i) => (a === '--log' && argv[i + 1] !== undefined) || a.startsWith('--log='));
    const problems = common.outputProblems(r, { codes, argvText: args.join(' '), logText, plainErrorOk: logGiven })
      // An error logged to /dev/null (or a path that cannot be a file) is the caller's choice.
      .filter((p) => !(loggedAway && p === 'a failure without an error line'))
      .filter((p) => !(streams && r.timedOut && /did not finish|died of SIGKILL|without an error line/.test(p)));
    if (isLive) {
      const others = fs.readdirSync(live.root).filter((n) => n !== LIVE);
      if (others.length) problems.push(`it made containers beside the running one: ${others.join(', ')}`);
      // What exec started has finished (nothing here runs for long) or been killed with the container.
      let extra = [];
      for (let i = 0; i < 50; i++) {
        extra = livePids().filter((p) => !pidsBefore.includes(p));
        if (extra.length === 0) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      if (extra.length) problems.push(`processes were left in the running container: ${extra.map((p) => `${p} ${common.cmdlineOf(p)}`).join('; ')}`);
      const mounts = common.mountsMentioning(live.base);
      if (mounts.length) problems.push(`it left mounts: ${mounts.join('; ')}`);
    }
    const made = common.treeOf(sandbox).filter((p) => !before.includes(p) && !allowedNew(args, r.code, p));
    if (made.length) problems.push(`it left files behind: ${made.join(', ')}`);
    // The one absolute path given that is outside the sandbox: nothing may make it.
    if (fs.existsSync(OUTSIDE)) {
      problems.push(`it made ${OUTSIDE}`);
      fs.rmSync(OUTSIDE, { recursive: true, force: true });
    }
    const mounts = common.mountsMentioning(sandbox);
    if (mounts.length) problems.push(`it left mounts: ${mounts.join('; ')}`);
    const procs = common.processesMentioning([sandbox, MARKER]);
    if (procs.length) problems.push(`it left processes: ${procs.join('; ')}`);
    if (verbose) console.log(`${r.code ?? r.signal} ${JSON.stringify(argv)} ${(r.stderr.split('\n')[0] || r.stdout.split('\n')[0]).slice(0, 160)}`);
    if (problems.length) throw new Error(`${problems.join('\n')}\n${common.describe(r)}`);
  } finally {
    fs.rmSync(sandbox, { recursive: true, force: true });
  }
}

async function main() {
  const args = common.parseArgs(process.argv.slice(2), { runs: 300 });
  verbose = args.verbose;
  const base = fs.mkdtempSync(path.join(os.tmpdir(), `tsrunc-${MARKER}-live-`));
  live = { base, root: path.join(base, 'root'), cgroup: `${TEST_CGROUP_PARENT}/${LIVE}`, bundle: makeBundle({ parent: base, args: ['sleep', '3600'] }) };
  fs.mkdirSync(live.root, { mode: 0o700 });
  live.bundle.spec.linux.cgroupsPath = live.cgroup;
  live.bundle.writeSpec();
  let code;
  try {
    code = await common.assertProperty('fuzz-cli', 'scripts/fuzz-cli.js', fc, fc.asyncProperty(ARGV, check), args);
  } finally {
    await common.runTsrunc(['--root', live.root, 'delete', '--force', LIVE], { cwd: base });
    live.bundle.cleanup();
    fs.rmSync(base, { recursive: true, force: true });
  }
  // Cgroups are looked for once at the end: any directory named after this run's ids.
  const cgroups = common.cgroupsNamed(MARKER);
  if (cgroups.length) {
    console.error(`fuzz-cli: FOUND A PROBLEM: cgroups were left: ${cgroups.join(', ')}`);
    return 1;
  }
  return code;
}

main().then((code) => { process.exitCode = code; }, (e) => { console.error(e); process.exitCode = 2; });
