// tsrunc vs runc, side by side in one run.
//
// Iterations alternate the order of the runtimes (runc then tsrunc, tsrunc then runc, ...) so
// that drift in machine load and the position within an iteration affect both equally. Timings
// are wall-clock medians of whole processes, measured from spawn to exit, as a container engine
// experiences them.
//
// Peak RSS is measured in separate, untimed runs under GNU time (`/usr/bin/time -f %M`), which
// reports ru_maxrss from wait4(): the largest resident set of the runtime process or any
// descendant it waited for (for `run`, that includes the container's init before its exec).
// Node cannot get children's rusage from spawnSync, so the wrapper is the simple robust way.
// The same runs also run in a memory cgroup of their own where the host has a memory hierarchy
// (bench/charged-memory.ts): the peak charged to it is the memory a command costs, without the
// executable's clean, shared page-cache pages that RSS counts.
//
// Env: BENCH_N (timed iterations, default 20), BENCH_WARMUP (default 2), BENCH_RSS_N (default 3),
// BENCH_PAGE_CACHE (evicted, the default, or as-is: bench/page-cache.ts),
// TSRUNC_BIN (as for the tests; TSRUNC_BIN=runc benchmarks runc against itself).
//
// `npm run bench -- --curves` prints the cost curves instead (bench/curves.ts, docs/performance.md).
// `npm run bench -- --parallel` measures throughput instead: cycles per second of 8 concurrent
// create -> start -> delete streams per runtime, higher is better (bench/parallel.ts).

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeBundle, removeTree } from '../test/helpers/rootfs';
import type { Bundle } from '../test/helpers/rootfs';
import { repoRoot, runtimeCommand } from '../test/helpers/runtime';
import { runCurves } from './curves';
import { runParallel } from './parallel';
import { chargedMemory } from './charged-memory';
import { filesOfCommand, pageCacheMode, preparePageCache } from './page-cache';
import { median, positiveInt } from './stats';

const N = positiveInt(process.env.BENCH_N, 20);
const WARMUP = positiveInt(process.env.BENCH_WARMUP, 2, true);
const RSS_N = positiveInt(process.env.BENCH_RSS_N, 3, true);
const PAGE_CACHE = pageCacheMode();
const VALIDATE_LOOPS = 10_000;

type Name = 'runc' | 'tsrunc';

interface Rt {
  name: Name;
  argv: string[];
  label: string;
  base: string;
  root: string;
  errFile: string;
  failures: Map<string, string>;
}

interface Exit {
  ms: number;
  ok: boolean;
  err: string;
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-bench-'));

function makeRt(name: Name): Rt {
  const cmd = runtimeCommand(name);
  const base = path.join(scratch, name);
  fs.mkdirSync(path.join(base, 'state'), { recursive: true });
  return {
    name, argv: cmd.argv, label: cmd.label, base, root: path.join(base, 'state'),
    errFile: path.join(base, 'stderr'), failures: new Map(),
  };
}

/** Runs argv with stdio on /dev/null (stderr to a file: a container may keep it open) and times it. */
function timed(argv: string[], errFile: string): Exit {
  const errFd = fs.openSync(errFile, 'w');
  try {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', errFd] });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const ok = r.status === 0;
    return { ms, ok, err: ok ? '' : (r.error?.message ?? (fs.readFileSync(errFile, 'utf8').trim() || `exit ${r.status ?? r.signal}`)) };
  } finally {
    fs.closeSync(errFd);
  }
}

function rtArgs(rt: Rt, args: string[]): string[] {
  return [...rt.argv, '--root', rt.root, ...args];
}

const GNU_TIME = (() => {
  const r = spawnSync('/usr/bin/time', ['--version'], { encoding: 'utf8' });
  return r.status === 0 && /GNU/.test(`${r.stdout}${r.stderr}`) ? '/usr/bin/time' : undefined;
})();

const CHARGED = chargedMemory();

interface MemoryFigures {
  /** Peak RSS in KiB of argv and the descendants it reaped (GNU time). */
  rssKb?: number;
  /** Peak memory charged to the cgroup argv ran in (bench/charged-memory.ts). */
  chargedKb?: number;
}

/** One untimed run of argv: its peak RSS and its peak charge, each undefined where not measurable
 * (no GNU time, no memory hierarchy) or when argv failed. */
function memoryOf(argv: string[], errFile: string): MemoryFigures {
  const out = path.join(scratch, 'time.out');
  fs.rmSync(out, { force: true });
  const timedArgv = GNU_TIME ? [GNU_TIME, '-f', '%M', '-o', out, ...argv] : argv;
  let ok: boolean;
  let chargedKb: number | undefined;
  if (typeof CHARGED === 'string') {
    const errFd = fs.openSync(errFile, 'w');
    try {
      ok = spawnSync(timedArgv[0], timedArgv.slice(1), { stdio: ['ignore', 'ignore', errFd] }).status === 0;
    } finally {
      fs.closeSync(errFd);
    }
  } else {
    const r = CHARGED.peakKb(timedArgv, errFile);
    ok = r.ok;
    chargedKb = ok ? r.kb : undefined;
  }
  if (!ok) return {};
  const rss = GNU_TIME ? Number(fs.readFileSync(out, 'utf8').trim().split('\n').pop()) : NaN;
  return { rssKb: Number.isFinite(rss) ? rss : undefined, chargedKb };
}

function vmRssKb(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------

const METRICS = ['run', 'create', 'createSeccomp', 'createLimits', 'start', 'kill', 'delete', 'cycle', 'state', 'pause', 'exec'] as const;
type Metric = typeof METRICS[number];
const noSamples = (): Record<Metric, number[]> => Object.fromEntries(METRICS.map((m) => [m, []])) as unknown as Record<Metric, number[]>;
const samples: Record<Name, Record<Metric, number[]>> = { runc: noSamples(), tsrunc: noSamples() };
const initRss: Record<Name, number[]> = { runc: [], tsrunc: [] };
const peakRss: Record<Name, Partial<Record<Metric, number>>> = { runc: {}, tsrunc: {} };
/** Every run's peak charge (the median is printed: a first run may bring page cache in). */
const charged: Record<Name, Partial<Record<Metric, number[]>>> = { runc: {}, tsrunc: {} };

let idSeq = 0;
const newId = (rt: Rt, what: string): string => `bench-${process.pid}-${rt.name}-${what}-${++idSeq}`;
/** Everything created, so the finally block can force-delete leftovers of a failed step. */
const created: { rt: Rt; id: string }[] = [];

function record(rt: Rt, metric: Metric, e: Exit, keep: boolean): boolean {
  if (!e.ok) {
    if (!rt.failures.has(metric)) rt.failures.set(metric, e.err.split('\n')[0] || 'failed');
    return false;
  }
  if (keep) samples[rt.name][metric].push(e.ms);
  return true;
}

function forceDelete(rt: Rt, id: string): void {
  spawnSync(rtArgs(rt, [])[0], rtArgs(rt, ['delete', '--force', id]).slice(1), { stdio: 'ignore' });
}

/** (a) `run` of /bin/true in the foreground. */
function benchRun(rt: Rt, b: Bundle, keep: boolean): void {
  const id = newId(rt, 'run');
  created.push({ rt, id });
  record(rt, 'run', timed(rtArgs(rt, ['run', '--bundle', b.dir, id]), rt.errFile), keep);
}

/**
 * (b) create → start → kill → delete --force of a container running `sleep 10`, as an engine
 * drives a task. The cycle is create+start+delete; kill (SIGKILL, numeric as containerd sends it)
 * is timed on its own. The init may still be dying when delete comes; delete --force does the
 * same work for both runtimes either way (signal, reap, clean up).
 */
function benchCycle(rt: Rt, b: Bundle, keep: boolean): void {
  const id = newId(rt, 'cycle');
  created.push({ rt, id });
  const pidFile = path.join(rt.base, `${id}.pid`);
  const c = timed(rtArgs(rt, ['create', '--bundle', b.dir, '--pid-file', pidFile, id]), rt.errFile);
  if (!record(rt, 'create', c, keep)) {
    forceDelete(rt, id);
    return;
  }
  // Untimed: the resident size of the init waiting for `start`.
  const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8').trim()) : 0;
  const rss = pid > 0 ? vmRssKb(pid) : undefined;
  if (keep && rss !== undefined) initRss[rt.name].push(rss);
  fs.rmSync(pidFile, { force: true });
  const s = timed(rtArgs(rt, ['start', id]), rt.errFile);
  const sOk = record(rt, 'start', s, keep);
  if (sOk) record(rt, 'kill', timed(rtArgs(rt, ['kill', id, '9']), rt.errFile), keep);
  const d = timed(rtArgs(rt, ['delete', '--force', id]), rt.errFile);
  const dOk = record(rt, 'delete', d, keep);
  if (sOk && dOk && keep) samples[rt.name].cycle.push(c.ms + s.ms + d.ms);
  if (!dOk) forceDelete(rt, id);
}

/** (b') create of the same container under Docker's default seccomp profile (then deleted, untimed). */
function benchCreateLimits(rt: Rt, b: Bundle, keep: boolean): void {
  const id = newId(rt, 'limits');
  created.push({ rt, id });
  record(rt, 'createLimits', timed(rtArgs(rt, ['create', '--bundle', b.dir, id]), rt.errFile), keep);
  forceDelete(rt, id);
}

/** pause of a created container (its cgroup frozen), then an untimed resume. */
function benchPause(rt: Rt, id: string, keep: boolean): void {
  record(rt, 'pause', timed(rtArgs(rt, ['pause', id]), rt.errFile), keep);
  timed(rtArgs(rt, ['resume', id]), rt.errFile);
}

function benchCreateSeccomp(rt: Rt, b: Bundle, keep: boolean): void {
  const id = newId(rt, 'seccomp');
  created.push({ rt, id });
  record(rt, 'createSeccomp', timed(rtArgs(rt, ['create', '--bundle', b.dir, id]), rt.errFile), keep);
  forceDelete(rt, id);
}

/** Docker 24's default profile, from the config fixtures. */
function dockerSeccomp(): unknown {
  const spec = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'spec-fixtures', 'valid', 'docker-24.json'), 'utf8')) as { linux: { seccomp: unknown } };
  return spec.linux.seccomp;
}

/** (c) `state` of a container created once up front. */
function benchState(rt: Rt, id: string, keep: boolean): void {
  record(rt, 'state', timed(rtArgs(rt, ['state', id]), rt.errFile), keep);
}

/** exec of /bin/true into a running container, in the foreground (waits for its exit). */
function benchExec(rt: Rt, id: string, keep: boolean): void {
  record(rt, 'exec', timed(rtArgs(rt, ['exec', id, '/bin/true']), rt.errFile), keep);
}

function measureMemory(rt: Rt, trueBundle: Bundle, sleepBundle: Bundle, stateId: string | undefined): void {
  const note = (metric: Metric, m: MemoryFigures): void => {
    if (m.rssKb !== undefined) peakRss[rt.name][metric] = Math.max(peakRss[rt.name][metric] ?? 0, m.rssKb);
    if (m.chargedKb !== undefined) (charged[rt.name][metric] ??= []).push(m.chargedKb);
  };
  for (let i = 0; i < RSS_N; i++) {
    const id = newId(rt, 'rss-run');
    created.push({ rt, id });
    note('run', memoryOf(rtArgs(rt, ['run', '--bundle', trueBundle.dir, id]), rt.errFile));
  }
  for (let i = 0; i < RSS_N; i++) {
    const id = newId(rt, 'rss-cycle');
    created.push({ rt, id });
    const steps: [Metric, string[]][] = [
      ['create', ['create', '--bundle', sleepBundle.dir, id]],
      ['start', ['start', id]],
      ['kill', ['kill', id, '9']],
      ['delete', ['delete', '--force', id]],
    ];
    for (const [metric, args] of steps) note(metric, memoryOf(rtArgs(rt, args), rt.errFile));
    forceDelete(rt, id);
  }
  if (stateId) for (let i = 0; i < RSS_N; i++) note('state', memoryOf(rtArgs(rt, ['state', stateId]), rt.errFile));
}

/** µs per validateSpec(defaultSpec()) call, from the compiled sources next to this file. */
function validateFigure(): { usPerCall?: number; note: string } {
  try {
    // Paths built at run time: these modules are written by someone else and may not exist yet.
    const dist = path.resolve(__dirname, '..');
    const validate = require(path.join(dist, 'src/config/validate')) as { validateSpec?: (s: unknown) => unknown };
    const defaults = require(path.join(dist, 'src/config/default-spec')) as { defaultSpec?: () => unknown };
    if (typeof validate.validateSpec !== 'function' || typeof defaults.defaultSpec !== 'function') {
      return { note: 'n/a (validateSpec or defaultSpec not exported)' };
    }
    const spec = defaults.defaultSpec();
    for (let i = 0; i < 200; i++) validate.validateSpec(spec);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < VALIDATE_LOOPS; i++) validate.validateSpec(spec);
    const us = Number(process.hrtime.bigint() - t0) / 1e3 / VALIDATE_LOOPS;
    return { usPerCall: us, note: `${us.toFixed(2)} µs/call (${VALIDATE_LOOPS} calls)` };
  } catch (e) {
    return { note: `n/a (${(e as Error).message.split('\n')[0]})` };
  }
}

// ---------------------------------------------------------------------------------------------

const fmtMs = (x: number | undefined): string => (x === undefined ? 'n/a' : x.toFixed(1));
const fmtMb = (kb: number | undefined): string => (kb === undefined ? 'n/a' : (kb / 1024).toFixed(1));
const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

/**
 * Peak RSS and peak charge of an empty program compiled by the same Bun with tsrunc's flags
 * (scripts/bun-compile-flags.js): the floor a command of this runtime cannot go below, which issue
 * 33's memory target is measured from.
 */
function emptyProgramMemory(): { rssKb?: number; chargedKb?: number } {
  if (!GNU_TIME && typeof CHARGED === 'string') return {};
  const src = path.join(scratch, 'empty-program.ts');
  const exe = path.join(scratch, 'empty-program');
  fs.writeFileSync(src, 'process.exitCode = 0;\n');
  const { COMPILE_FLAGS } = require(path.join(repoRoot(), 'scripts', 'bun-compile-flags.js')) as { COMPILE_FLAGS: string[] };
  const r = spawnSync(path.join(repoRoot(), 'node_modules', '.bin', 'bun'), ['build', src, ...COMPILE_FLAGS, '--outfile', exe], { stdio: 'ignore' });
  if (r.status !== 0) return {};
  // In the same page-cache state as the runtimes' files, which the timed runs have read back.
  preparePageCache(PAGE_CACHE, [exe]);
  memoryOf([exe], path.join(scratch, 'empty-program.err'));
  const rss: number[] = [];
  const charge: number[] = [];
  for (let i = 0; i < Math.max(RSS_N, 1); i++) {
    const m = memoryOf([exe], path.join(scratch, 'empty-program.err'));
    if (m.rssKb !== undefined) rss.push(m.rssKb);
    if (m.chargedKb !== undefined) charge.push(m.chargedKb);
  }
  return { rssKb: rss.length ? Math.max(...rss) : undefined, chargedKb: median(charge) };
}

function main(): void {
  const rts = [makeRt('runc'), makeRt('tsrunc')];
  const cacheLine = preparePageCache(PAGE_CACHE, rts.flatMap((rt) => filesOfCommand(rt.argv[0])));
  const trueBundle = makeBundle({ args: ['/bin/true'] });
  const sleepBundle = makeBundle({ args: ['sleep', '10'] });
  const seccompBundle = makeBundle({ args: ['sleep', '10'], mutate: (spec) => { (spec.linux as Record<string, unknown>).seccomp = dockerSeccomp(); } });
  const limitsBundle = makeBundle({
    args: ['sleep', '10'],
    mutate: (spec) => {
      spec.linux.resources = {
        devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' }],
        memory: { limit: 256 * 1024 * 1024, reservation: 128 * 1024 * 1024 },
        cpu: { shares: 512, quota: 50000, period: 100000 },
        pids: { limit: 100 },
      };
    },
  });
  // The long-lived containers get a bundle (so a cgroup) per runtime: the cycle's containers, and
  // the other runtime's, must never share a cgroup with them (pause freezes the whole cgroup).
  const runningBundles = { runc: makeBundle({ args: ['sleep', '1000'] }), tsrunc: makeBundle({ args: ['sleep', '1000'] }) };
  const stateBundles = { runc: makeBundle({ args: ['sleep', '10'] }), tsrunc: makeBundle({ args: ['sleep', '10'] }) };
  const runningIds = new Map<Name, string>();
  const stateIds = new Map<Name, string>();
  const t0 = Date.now();
  try {
    for (const rt of rts) {
      const id = newId(rt, 'state');
      created.push({ rt, id });
      const c = timed(rtArgs(rt, ['create', '--bundle', stateBundles[rt.name].dir, id]), rt.errFile);
      if (c.ok) stateIds.set(rt.name, id);
      else rt.failures.set('state', `create for the state benchmark failed: ${c.err.split('\n')[0]}`);
      const runId = newId(rt, 'running');
      created.push({ rt, id: runId });
      const r = timed(rtArgs(rt, ['run', '--detach', '--bundle', runningBundles[rt.name].dir, runId]), rt.errFile);
      if (r.ok) runningIds.set(rt.name, runId);
      else rt.failures.set('exec', `run --detach for the exec benchmark failed: ${r.err.split('\n')[0]}`);
    }

    for (let i = 0; i < WARMUP + N; i++) {
      const keep = i >= WARMUP;
      // Who goes first swaps every iteration (runc, tsrunc | tsrunc, runc): going first after
      // another kind of work measurably costs a few ms here, and this cancels it out.
      const order = i % 2 === 0 ? rts : [...rts].reverse();
      for (const rt of order) benchRun(rt, trueBundle, keep);
      for (const rt of order) benchCycle(rt, sleepBundle, keep);
      for (const rt of order) benchCreateSeccomp(rt, seccompBundle, keep);
      for (const rt of order) benchCreateLimits(rt, limitsBundle, keep);
      for (const rt of order) {
        const id = stateIds.get(rt.name);
        if (id) benchState(rt, id, keep);
      }
      for (const rt of order) {
        const id = stateIds.get(rt.name);
        if (id) benchPause(rt, id, keep);
      }
      for (const rt of order) {
        const id = runningIds.get(rt.name);
        if (id) benchExec(rt, id, keep);
      }
    }

    for (const rt of rts) measureMemory(rt, trueBundle, sleepBundle, stateIds.get(rt.name));
  } catch (e) {
    cleanup();
    throw e;
  } finally {
    for (const { rt, id } of created) forceDelete(rt, id);
  }
  const validation = validateFigure();
  const seconds = (Date.now() - t0) / 1000;

  const [runc, ts] = rts;
  // [title, metric, target ratio to runc (issue 33), peak RSS measured]
  const rows: [string, Metric, number | undefined, boolean][] = [
    ['state (created container)', 'state', 1.3, true],
    ['start', 'start', 1.3, true],
    ['kill 9 (running)', 'kill', 1.3, true],
    ['delete --force (running)', 'delete', 1.3, true],
    ['run /bin/true (foreground)', 'run', 1.0, true],
    ['create+start+delete cycle', 'cycle', 1.1, false],
    ['create (sleep 10)', 'create', 1.0, true],
    ['create, Docker seccomp', 'createSeccomp', undefined, false],
    ['create, cgroup limits', 'createLimits', undefined, false],
    ['pause (created container)', 'pause', undefined, false],
    ['exec /bin/true (running)', 'exec', undefined, false],
  ];
  const lines: string[] = [];
  lines.push(`tsrunc benchmark: ${N} timed iterations (+${WARMUP} warm-up), alternating runtimes; medians of wall time in ms`);
  lines.push(`  runc:   ${runc.label}`);
  lines.push(`  tsrunc: ${ts.label}`);
  lines.push(`  ${cacheLine}`);
  lines.push(`  peak RSS: ${GNU_TIME ? `max ru_maxrss over ${RSS_N} untimed runs under GNU time -f %M` : 'n/a (GNU time not found at /usr/bin/time)'}`);
  lines.push(`  charged: ${typeof CHARGED === 'string' ? `n/a (${CHARGED})` : `median over the same runs of the peak charged to a fresh cgroup (${CHARGED.source})`}`);
  lines.push('');
  const header = `${pad('command', 28)}${lpad('runc', 9)}${lpad('tsrunc', 9)}${lpad('ratio', 8)}${lpad('target', 9)}   ${pad('peak RSS MB runc/tsrunc', 26)}${pad('charged MB runc/tsrunc', 22)}`;
  lines.push(header);
  lines.push('-'.repeat(header.length));
  const summary: Record<string, unknown> = {};
  for (const [title, m, target, rssMeasured] of rows) {
    const a = median(samples.runc[m]);
    const b = median(samples.tsrunc[m]);
    const ratio = a !== undefined && b !== undefined ? b / a : undefined;
    const verdict = target === undefined || ratio === undefined ? '' : `${ratio <= target ? '' : '!'}<=${target}x`;
    const rss = rssMeasured ? `${fmtMb(peakRss.runc[m])} / ${fmtMb(peakRss.tsrunc[m])}` : '';
    const charge = rssMeasured ? `${fmtMb(median(charged.runc[m] ?? []))} / ${fmtMb(median(charged.tsrunc[m] ?? []))}` : '';
    lines.push(`${pad(title, 28)}${lpad(fmtMs(a), 9)}${lpad(fmtMs(b), 9)}${lpad(ratio === undefined ? 'n/a' : `${ratio.toFixed(2)}x`, 8)}${lpad(verdict, 9)}   ${pad(rss, 26)}${charge}`);
    summary[m] = {
      runcMs: a, tsruncMs: b, ratio, target, meetsTarget: target === undefined || ratio === undefined ? undefined : ratio <= target,
      runcMin: samples.runc[m].length ? Math.min(...samples.runc[m]) : undefined,
      tsruncMin: samples.tsrunc[m].length ? Math.min(...samples.tsrunc[m]) : undefined,
      peakRssKb: rssMeasured ? { runc: peakRss.runc[m], tsrunc: peakRss.tsrunc[m] } : undefined,
      chargedKb: rssMeasured ? { runc: median(charged.runc[m] ?? []), tsrunc: median(charged.tsrunc[m] ?? []) } : undefined,
      n: { runc: samples.runc[m].length, tsrunc: samples.tsrunc[m].length },
    };
  }
  lines.push('');
  lines.push('target: the ratio issue 33 asks for ("!" marks a miss).');
  const floor = emptyProgramMemory();
  const floorKb = floor.rssKb;
  const measured = Object.values(peakRss.tsrunc).filter((kb): kb is number => kb !== undefined);
  const overFloor = floorKb === undefined || measured.length === 0 ? undefined : Math.max(...measured) - floorKb;
  lines.push(`peak RSS of an empty program built by the same Bun: ${fmtMb(floorKb)} MB; tsrunc's largest command is ${overFloor === undefined ? 'n/a' : `${fmtMb(overFloor)} MB`} above it (issue 33: within 8 MiB${overFloor !== undefined && overFloor > 8192 ? ', missed' : ''})`);
  const chargedMedians = (n: Name): number[] => METRICS.map((m) => median(charged[n][m] ?? [])).filter((kb): kb is number => kb !== undefined);
  const tsCharged = chargedMedians('tsrunc');
  const chargedOver = floor.chargedKb === undefined || tsCharged.length === 0 ? undefined : Math.max(...tsCharged) - floor.chargedKb;
  lines.push(`peak charged memory of the empty program: ${fmtMb(floor.chargedKb)} MB; tsrunc's largest command is ${chargedOver === undefined ? 'n/a' : `${fmtMb(chargedOver)} MB`} above it, runc's largest command ${fmtMb(chargedMedians('runc').length ? Math.max(...chargedMedians('runc')) : undefined)} MB`);
  const seccompCost = (n: Name): string => {
    const a = median(samples[n].createSeccomp);
    const b = median(samples[n].create);
    return a !== undefined && b !== undefined ? `${(a - b).toFixed(1)} ms` : 'n/a';
  };
  lines.push(`seccomp (Docker's default profile) adds to create: runc ${seccompCost('runc')}, tsrunc ${seccompCost('tsrunc')}`);
  lines.push(`waiting init after create (VmRSS, median): runc ${fmtMb(median(initRss.runc))} MB, tsrunc ${fmtMb(median(initRss.tsrunc))} MB`);
  lines.push(`validateSpec(defaultSpec()): ${validation.note}`);
  for (const rt of rts) {
    for (const [what, msg] of rt.failures) lines.push(`FAILED ${rt.name} ${what}: ${msg}`);
  }
  lines.push(`(bench took ${seconds.toFixed(1)} s)`);
  console.log(lines.join('\n'));
  console.log(JSON.stringify({
    bench: 'tsrunc-vs-runc', n: N, warmup: WARMUP, runc: runc.label, tsrunc: ts.label, pageCache: PAGE_CACHE,
    commands: summary,
    initVmRssKb: { runc: median(initRss.runc), tsrunc: median(initRss.tsrunc) },
    emptyProgramPeakRssKb: floorKb ?? null,
    emptyProgramChargedKb: floor.chargedKb ?? null,
    chargedSource: typeof CHARGED === 'string' ? null : CHARGED.source,
    validateSpecUsPerCall: validation.usPerCall ?? null,
    failures: Object.fromEntries(rts.map((rt) => [rt.name, Object.fromEntries(rt.failures)])),
  }));
  cleanup();

  function cleanup(): void {
    trueBundle.cleanup();
    sleepBundle.cleanup();
    seccompBundle.cleanup();
    limitsBundle.cleanup();
    for (const b of [...Object.values(runningBundles), ...Object.values(stateBundles)]) b.cleanup();
    const leaked = removeTree(scratch);
    if (leaked.length > 0) console.error(`warning: mounts were left under ${scratch}: ${leaked.join(', ')}`);
  }
}

if (process.argv.includes('--curves')) {
  fs.rmdirSync(scratch);
  runCurves();
} else if (process.argv.includes('--parallel')) {
  fs.rmdirSync(scratch);
  runParallel().catch((e: Error) => {
    console.error(`parallel bench failed: ${e.stack ?? e.message}`);
    process.exitCode = 1;
  });
} else main();
