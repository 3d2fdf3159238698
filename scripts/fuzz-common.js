// What the fuzz and crash scripts (scripts/fuzz-cli.js, fuzz-config.js, crash-loop.js) share: their
// command line, running tsrunc with its output in files, the checks that output carries no engine
// words, and the search for what an invocation left behind (state, mounts, cgroups, processes).
// They run the executable `npm run build` makes (dist/bin/tsrunc; TSRUNC_BIN overrides it).
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const TOP = path.resolve(__dirname, '..');

/**
 * `--runs N --seed S --seconds T` (also `--runs=N`), with defaults. A seed is drawn when none is
 * given, so a by-hand run explores; it is printed first so any failure can be replayed.
 */
function parseArgs(argv, defaults) {
  const out = { runs: defaults.runs, seed: undefined, seconds: defaults.seconds ?? 0, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (flag === '--runs') out.runs = Number(value());
    else if (flag === '--seed') out.seed = Number(value());
    else if (flag === '--seconds') out.seconds = Number(value());
    else if (flag === '--verbose') out.verbose = true;
    else if (flag === '--no-shrink') out.endOnFailure = true;
    else throw new Error(`unknown argument ${argv[i]} (use --runs N, --seed S, --seconds T, --verbose, --no-shrink)`);
  }
  for (const k of ['runs', 'seed', 'seconds']) {
    if (out[k] !== undefined && !Number.isSafeInteger(out[k])) throw new Error(`--${k} needs an integer`);
  }
  if (out.seed === undefined) out.seed = Math.floor(Math.random() * 2 ** 31);
  return out;
}

function tsruncArgv() {
  const override = process.env.TSRUNC_BIN && process.env.TSRUNC_BIN.trim();
  if (override) return override.split(/\s+/);
  const bin = path.join(TOP, 'dist', 'bin', 'tsrunc');
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run npm run build first`);
  return [bin];
}

/**
 * Runs tsrunc with stdout and stderr in files (a created container inherits them, so pipes would
 * stay open), stdin from /dev/null, and TSRUNC_DEBUG set so that any error's stack is printed
 * (which is how an engine error that reached the user is told from a TsruncError).
 * Resolves on exit with {code, signal, stdout, stderr, ms, timedOut}.
 */
function runTsrunc(args, o = {}) {
  const argv = [...tsruncArgv(), ...args];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-fuzz-io-'));
  const outFile = path.join(dir, 'out');
  const errFile = path.join(dir, 'err');
  const out = fs.openSync(outFile, 'w');
  const err = fs.openSync(errFile, 'w');
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: o.cwd, stdio: ['ignore', out, err],
      env: { ...process.env, TSRUNC_DEBUG: '1', ...(o.env ?? {}) },
    });
    fs.closeSync(out);
    fs.closeSync(err);
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, o.timeoutMs ?? 30_000);
    if (o.onSpawn) o.onSpawn(child);
    const finish = (code, signal) => {
      clearTimeout(timer);
      const r = { argv, code, signal, ms: Date.now() - started, timedOut,
        stdout: fs.readFileSync(outFile, 'utf8'), stderr: fs.readFileSync(errFile, 'utf8') };
      fs.rmSync(dir, { recursive: true, force: true });
      resolve(r);
    };
    child.on('error', (e) => finish(null, null, e));
    child.on('exit', finish);
  });
}

function describe(r) {
  return `$ ${r.argv.map((a) => JSON.stringify(a)).join(' ')}\n  exit=${r.code ?? r.signal}${r.timedOut ? ' (timed out)' : ''}\n`
    + `  stdout=${JSON.stringify(r.stdout.slice(0, 2000))}\n  stderr=${JSON.stringify(r.stderr.slice(0, 4000))}`;
}

// Words only a JavaScript engine or Node writes; none may reach a user. JavaScriptCore (the
// executable runs on Bun) and V8 word their TypeErrors differently, so both are listed.
const ENGINE_WORDS = [
  /\bERR_[A-Z_]{3,}/, /\b(TypeError|RangeError|SyntaxError|ReferenceError|EvalError|URIError|AggregateError)\b/,
  /Maximum call stack|call stack size/i, /Cannot read propert|Cannot set propert/, /is not (a function|an object|iterable|a constructor)/,
  /\(evaluating '/, /\[object Object\]/, /JSON Parse error|Unexpected token|in JSON at position/, /\bE[A-Z0-9]{2,}: [a-z]/,
  /Segmentation fault|core dumped|panic:|Assertion .* failed|AddressSanitizer/, /^\s+at .*(:\d+|native)/m,
];

/**
 * Splits stderr into the stack dumps TSRUNC_DEBUG adds (a header "Name: message", the message's
 * further lines, its "    at" frames) and the rest. Returns the headers, and the rest for the word checks.
 */
function splitStacks(stderr) {
  const lines = stderr.split('\n');
  const headers = [];
  const rest = [];
  const frame = (l) => /^\s+at /.test(l);
  for (let i = 0; i < lines.length; i++) {
    if (i + 1 < lines.length && frame(lines[i + 1]) && !frame(lines[i])) {
      // The header is the nearest line above naming an error class; a message may span lines.
      let h = rest.length;
      rest.push(lines[i]);
      for (let j = rest.length - 1; j >= 0; j--) {
        if (/^[A-Za-z]*(Error|Exception)\b/.test(rest[j])) { h = j; break; }
        if (/level=|"level":/.test(rest[j])) break;
      }
      headers.push(rest[Math.min(h, rest.length - 1)]);
      rest.length = Math.min(h, rest.length - 1);
      while (i + 1 < lines.length && frame(lines[i + 1])) i++;
    } else {
      rest.push(lines[i]);
    }
  }
  return { headers, rest: rest.join('\n') };
}

/**
 * Problems with one invocation's output, as sentences (empty when fine): a signal or timeout, an
 * exit code outside `codes`, a failure without an error line, an error other than TsruncError or a
 * Node system error (which tsrunc rewords) reaching the top, engine words in what the user reads.
 * `argvText` keeps words the caller typed (e.g. "NaN") from counting against tsrunc.
 */
function outputProblems(r, { codes = [0, 1], argvText = '', logText = '', plainErrorOk = false } = {}) {
  const problems = [];
  if (r.timedOut) problems.push('it did not finish in time (a hang)');
  if (r.code === null) problems.push(`it died of ${r.signal}`);
  else if (!codes.includes(r.code)) problems.push(`exit code ${r.code} is not one of the documented ${codes.join(', ')}`);
  const { headers, rest } = splitStacks(r.stderr);
  for (const h of headers) {
    if (!/^TsruncError: /.test(h) && !/^Error: E[A-Z0-9]+: /.test(h)) problems.push(`an engine error reached the top: ${h}`);
  }
  const text = `${r.stdout}\n${rest}\n${logText}`;
  for (const re of ENGINE_WORDS) {
    const m = re.exec(text);
    if (m && !argvText.includes(m[0])) problems.push(`engine words in the output: ${JSON.stringify(m[0])}`);
  }
  for (const word of ['undefined', 'NaN']) {
    if (new RegExp(`\\b${word}\\b`).test(rest) && !argvText.includes(word)) problems.push(`"${word}" in an error message`);
  }
  // With --log the log line goes there and stderr gets the bare message (as runc does).
  const said = /level=error|"level":"error"/.test(`${rest}\n${logText}`) || (plainErrorOk && rest.trim() !== '');
  if (r.code !== null && r.code !== 0 && !said) {
    problems.push('a failure without an error line');
  }
  return problems;
}

/** Mountinfo lines of this mount namespace that mention `dir`. */
function mountsMentioning(dir) {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dir));
}

/** Live processes (not us, not zombies) whose command line or cwd mentions any of `markers`. */
function processesMentioning(markers) {
  const found = [];
  for (const ent of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(ent) || Number(ent) === process.pid) continue;
    let cmd = '';
    let stat = '';
    let cwd = '';
    try {
      cmd = fs.readFileSync(`/proc/${ent}/cmdline`, 'utf8').replace(/\0/g, ' ');
      stat = fs.readFileSync(`/proc/${ent}/stat`, 'utf8');
      cwd = fs.readlinkSync(`/proc/${ent}/cwd`);
    } catch { /* gone, or a kernel thread */ }
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X' || state === '') continue;
    if (markers.some((m) => cmd.includes(m) || cwd.includes(m))) found.push(`${ent} ${cmd.trim()}`);
  }
  return found;
}

function cmdlineOf(pid) {
  try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim(); } catch { return '(gone)'; }
}

/** The cgroup hierarchies' mount points (v1 controllers, the unified one, or a pure v2 root). */
function cgroupRoots() {
  const roots = new Set();
  for (const l of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = l.split(' ');
    const sep = f.indexOf('-');
    if (sep > 0 && (f[sep + 1] === 'cgroup' || f[sep + 1] === 'cgroup2')) roots.add(f[4]);
  }
  return [...roots];
}

/** Cgroup directories (at most `depth` levels down) whose name contains `marker`. */
function cgroupsNamed(marker, depth = 3) {
  const found = [];
  const walk = (dir, left) => {
    let ents = [];
    try { ents = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of ents) {
      if (!e.isDirectory()) continue;
      const p = path.join(dir, e.name);
      if (e.name.includes(marker)) found.push(p);
      else if (left > 1) walk(p, left - 1);
    }
  };
  for (const r of cgroupRoots()) walk(r, depth);
  return found;
}

/** After a failure: removes the (empty) cgroup directories `rel` names, so a failing run leaks nothing. */
function removeCgroupDirs(rel) {
  for (const r of cgroupRoots()) {
    try { fs.rmdirSync(path.join(r, rel)); } catch { /* absent, or still holds processes */ }
  }
}

/** Live processes of a container: by its id (command line, cgroup) or its bundle (command line, mounts). */
function processesOf(id, bundleDir) {
  const { relatedProcesses, processAlive } = require(path.join(TOP, 'dist', 'test', 'helpers', 'runtime.js'));
  return relatedProcesses({ ids: [id], paths: [bundleDir] }).filter((p) => processAlive(p.pid)).map((p) => `${p.pid} ${p.cmdline} (${p.why})`);
}

/** What container `id` left, as sentences: its state directory, its cgroup, mounts in its bundle, processes. */
function containerLeftovers(root, id, cgroup, bundleDir) {
  const { mountsUnder } = require(path.join(TOP, 'dist', 'test', 'helpers', 'rootfs.js'));
  const found = [];
  if (fs.existsSync(path.join(root, id))) found.push(`the state directory ${path.join(root, id)}`);
  for (const r of cgroupRoots()) if (fs.existsSync(path.join(r, cgroup))) found.push(`the cgroup ${path.join(r, cgroup)}`);
  for (const m of mountsUnder(bundleDir)) found.push(`a mount on ${m}`);
  for (const p of processesOf(id, bundleDir)) found.push(`the process ${p}`);
  return found;
}

/** Polls `fn` (a list of problems) until it is empty or `ms` have passed: processes take a moment to be reaped. */
async function settled(fn, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = fn();
    if (found.length === 0 || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every file and directory below `dir` (relative paths), not following symlinks. */
function treeOf(dir) {
  const out = [];
  const walk = (d, rel) => {
    let ents = [];
    try { ents = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of ents) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(r);
      if (e.isDirectory()) walk(path.join(d, e.name), r);
    }
  };
  walk(dir, '');
  return out.sort();
}

/** fast-check's runner parameters for a parsed command line (a time limit replaces the count). */
function runnerParameters(args) {
  // Shrinking re-runs the property many times; where a run costs seconds (containers) it is cut short.
  const p = { seed: args.seed, numRuns: args.runs, verbose: 1, endOnFailure: Boolean(args.endOnFailure) };
  if (args.seconds > 0) Object.assign(p, { numRuns: 1_000_000, interruptAfterTimeLimit: args.seconds * 1000 });
  return p;
}

/** Runs fast-check's assertion, printing the seed up front and a replay line on failure. */
async function assertProperty(name, script, fc, property, args) {
  console.log(`${name}: seed ${args.seed}, ${args.seconds > 0 ? `${args.seconds} s` : `${args.runs} runs`}`);
  const started = Date.now();
  try {
    const details = await fc.check(property, runnerParameters(args));
    if (details.failed) throw new Error(fc.defaultReportMessage(details));
    console.log(`${name}: ${details.numRuns} runs in ${((Date.now() - started) / 1000).toFixed(1)} s, nothing found`);
    return 0;
  } catch (e) {
    console.error(`${name}: FOUND A PROBLEM (replay: node ${script} --seed ${args.seed} --runs ${args.runs})\n${e.message}`);
    return 1;
  }
}

module.exports = {
  TOP, parseArgs, tsruncArgv, runTsrunc, describe, outputProblems, splitStacks, mountsMentioning,
  processesMentioning, cmdlineOf, cgroupRoots, cgroupsNamed, removeCgroupDirs, processesOf, containerLeftovers, settled, treeOf, assertProperty,
};
