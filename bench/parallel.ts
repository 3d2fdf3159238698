// Parallel throughput: how many create -> start -> delete cycles per second a runtime completes
// when several engines' worth of work arrive at once (`npm run bench -- --parallel`). Issue 33's
// target is tsrunc >= 1.0x runc here, so unlike the other modes a HIGHER figure is better.
//
// STREAMS async loops run side by side, each its own chain of real processes (spawn, not
// spawnSync, so the runtimes really overlap): create, start and delete --force of a container
// running /bin/true, over and over, for SECONDS (or CYCLES per stream). Each stream has its own
// bundle, so its own cgroup (makeBundle names it after the bundle; containers sharing a cgroup
// change what runc does, see bench.ts), and its own container ids. A cycle's delete --force
// finds the init exited or about to: the same work for both runtimes either way.
//
// One runtime runs at a time; rounds alternate as runc, tsrunc, tsrunc, runc, runc, ... so drift
// in the machine's load falls on both alike. The figure per runtime is the median over its rounds
// of (cycles that succeeded) / (wall time from the start until the last stream finished). Every
// round starts with one untimed cycle per stream (the streams in step), and before round 1 each
// runtime runs WARM_UP_SECONDS untimed. The load average shown per round is taken as its timed
// part begins: it includes this bench's own streams (up to STREAMS), so only the figure printed
// for the start says what the rest of the machine was doing.
//
// A failed cycle is counted and the first error kept per runtime, never dropped; a stream stops
// after FAILS_IN_A_ROW failures in a row (a runtime that cannot work at all). What the runtimes
// print on stderr for commands that succeeded (runc's warnings) is counted and shown too.
//
// Env: BENCH_STREAMS (default 8), BENCH_PARALLEL_SECONDS (per round, default 10),
// BENCH_PARALLEL_CYCLES (cycles per stream instead of a duration), BENCH_PARALLEL_ROUNDS (rounds
// per runtime, default 3), TSRUNC_BIN as for the tests.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeBundle, removeTree, type Bundle } from '../test/helpers/rootfs';
import { Runtime, runtimeCommand, sleep, type ExecResult } from '../test/helpers/runtime';
import { filesOfCommand, pageCacheMode, preparePageCache } from './page-cache';
import { median, positiveInt } from './stats';

type Name = 'runc' | 'tsrunc';

const STREAMS = positiveInt(process.env.BENCH_STREAMS, 8);
const SECONDS = positiveInt(process.env.BENCH_PARALLEL_SECONDS, 10);
const CYCLES = positiveInt(process.env.BENCH_PARALLEL_CYCLES, 0, true);
const ROUNDS = positiveInt(process.env.BENCH_PARALLEL_ROUNDS, 3);
const FAILS_IN_A_ROW = 5;
const WARM_UP_SECONDS = 3;
const TARGET = 1.0;

interface Round {
  name: Name;
  cycles: number;
  failed: number;
  seconds: number;
  perSecond: number;
  load1: number;
  /** Share of all CPUs' time the machine was busy (not idle or waiting for I/O) in the timed part. */
  busy: number;
  /** Busy CPU time of the whole machine per successful cycle, ms: runtime, kernel, this harness. */
  cpuMsPerCycle: number;
  /** Cut short by Ctrl-C: shown, but left out of the medians. */
  interrupted: boolean;
}

/** Per runtime: failed cycles, the first error, and stderr lines of successful commands by count. */
interface Trouble {
  failed: number;
  /** Of failed: in the untimed warm-up cycles (not in any round's row). */
  warmUp: number;
  first?: string;
  warnings: Map<string, number>;
  gaveUp: number;
}

let stopping = false;

const firstLine = (r: ExecResult): string =>
  (r.stderr.trim().split('\n').find((l) => l.trim() !== '') ?? `exit ${r.code ?? r.signal}`).replace(/^time="[^"]*" /, '');

function noteWarnings(t: Trouble, r: ExecResult): void {
  for (const line of r.stderr.split('\n')) {
    const l = line.replace(/^time="[^"]*" /, '').trim();
    if (l) t.warnings.set(l, (t.warnings.get(l) ?? 0) + 1);
  }
}

/** One create -> start -> delete --force; undefined when it worked, else what failed. */
async function cycle(rt: Runtime, b: Bundle, id: string, t: Trouble): Promise<string | undefined> {
  const step = async (what: string, args: string[]): Promise<string | undefined> => {
    const r = await rt.exec(args);
    if (r.code === 0) {
      noteWarnings(t, r);
      return undefined;
    }
    return `${what} ${id}: ${firstLine(r)}`;
  };
  try {
    const err = (await step('create', ['create', '--bundle', b.dir, id]))
      ?? (await step('start', ['start', id]))
      ?? (await step('delete --force', ['delete', '--force', id]));
    // A failed step may leave the container behind: the next cycle must not inherit it.
    if (err) await rt.deleteForce(id);
    return err;
  } catch (e) {
    await rt.deleteForce(id).catch(() => undefined);
    return `${id}: ${(e as Error).message.split('\n')[0]}`;
  }
}

/** How long streams run: a number of cycles each, or seconds (a cycle under way then finishes). */
type Budget = { cycles: number } | { seconds: number };

/** STREAMS loops at once; returns the successful and failed cycles and the wall time. */
async function runStreams(rt: Runtime, bundles: Bundle[], tag: string, t: Trouble, budget: Budget, counted: boolean): Promise<{ cycles: number; failed: number; seconds: number }> {
  let cycles = 0;
  let failed = 0;
  const t0 = process.hrtime.bigint();
  const more = (k: number): boolean => !stopping
    && ('cycles' in budget ? k < budget.cycles : process.hrtime.bigint() - t0 < BigInt(Math.round(budget.seconds * 1e9)));
  await Promise.all(bundles.map(async (b, s) => {
    let inARow = 0;
    for (let k = 0; more(k); k++) {
      const err = await cycle(rt, b, `par-${process.pid}-${rt.kind}-${tag}-s${s}-${k}`, t);
      if (err === undefined) {
        cycles++;
        inARow = 0;
        continue;
      }
      // Ctrl-C reaches the runtimes too (one process group): what it breaks is not a failure.
      if (stopping) break;
      failed++;
      t.failed++;
      if (!counted) t.warmUp++;
      t.first ??= err;
      if (++inARow >= FAILS_IN_A_ROW) {
        t.gaveUp++;
        break;
      }
    }
  }));
  return { cycles, failed, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/** The machine's CPU time so far (all CPUs, /proc/stat's clock ticks): busy, and in all. */
function cpuTimes(): { busy: number; total: number } {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], total };
}

/**
 * Cgroups a round's bundles named that are still there after its containers were deleted (a
 * runtime left them, or a Ctrl-C killed one mid-create): what is in them is killed (they are this
 * bench's own) and they are removed. Returns the ones found.
 */
async function sweepCgroups(bundles: Bundle[]): Promise<string[]> {
  const hierarchies = fs.readdirSync('/sys/fs/cgroup', { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join('/sys/fs/cgroup', d.name));
  const left = bundles.flatMap((b) => hierarchies.map((h) => path.join(h, String(b.spec.linux.cgroupsPath))))
    .filter((dir) => fs.existsSync(dir));
  for (const dir of left) {
    for (let i = 0; i < 20; i++) {
      const procs = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
      for (const pid of procs) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone already */ }
      }
      try {
        fs.rmdirSync(dir);
        break;
      } catch {
        await sleep(50);
      }
    }
  }
  return left;
}

/**
 * One runtime's round in bundles of its own: one untimed cycle per stream, then the timed budget.
 * counted false makes it a warm-up (its failures are still kept, as warm-up ones).
 */
async function round(name: Name, n: number, scratch: string, t: Trouble, notes: string[], budget: Budget, counted = true): Promise<Round> {
  const rt = new Runtime(name);
  const bundles: Bundle[] = [];
  try {
    for (let s = 0; s < STREAMS; s++) bundles.push(makeBundle({ args: ['/bin/true'], parent: scratch }));
    await runStreams(rt, bundles, `r${n}w`, t, { cycles: 1 }, false);
    const load1 = os.loadavg()[0];
    const cpu0 = cpuTimes();
    const r = await runStreams(rt, bundles, `r${n}`, t, budget, counted);
    const cpu1 = cpuTimes();
    const busy = (cpu1.busy - cpu0.busy) / (cpu1.total - cpu0.total || 1);
    const cpuMsPerCycle = (busy * r.seconds * os.cpus().length * 1000) / (r.cycles || 1);
    return { name, ...r, perSecond: r.cycles / r.seconds, load1, busy, cpuMsPerCycle, interrupted: stopping };
  } finally {
    try {
      const left = await rt.cleanupAll();
      if (left.length > 0) notes.push(`round ${n} ${name}: ${left.length} container(s) were still there and were force-deleted`);
    } catch (e) {
      notes.push(`round ${n} ${name}: ${(e as Error).message.split('\n')[0]}`);
    }
    const cg = await sweepCgroups(bundles).catch((e: Error) => [`(cannot sweep: ${e.message})`]);
    if (cg.length > 0) notes.push(`round ${n} ${name}: cgroups left after delete: ${cg.slice(0, 3).join(', ')}${cg.length > 3 ? ', ...' : ''}`);
    for (const b of bundles) {
      try { b.cleanup(); } catch (e) { notes.push((e as Error).message); }
    }
  }
}

export async function runParallel(): Promise<void> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-parallel-'));
  const onSignal = (): void => {
    stopping = true;
    process.stderr.write('stopping after the cycles under way, then cleaning up (again to quit at once)\n');
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const trouble: Record<Name, Trouble> = {
    runc: { failed: 0, warmUp: 0, warnings: new Map(), gaveUp: 0 },
    tsrunc: { failed: 0, warmUp: 0, warnings: new Map(), gaveUp: 0 },
  };
  const rounds: Round[] = [];
  const notes: string[] = [];
  const cacheLine = preparePageCache(pageCacheMode(), [...filesOfCommand(runtimeCommand('runc').argv[0]), ...filesOfCommand(runtimeCommand('tsrunc').argv[0])]);
  const load0 = os.loadavg();
  const t0 = Date.now();
  try {
    // The first seconds of work after a quiet spell run measurably slower here (all runtimes
    // alike, TSRUNC_BIN=runc shows it): both warm up before round 1, which would otherwise be runc's.
    for (const name of ['runc', 'tsrunc'] as Name[]) {
      if (!stopping) await round(name, 0, scratch, trouble[name], notes, { seconds: WARM_UP_SECONDS }, false);
    }
    const budget: Budget = CYCLES > 0 ? { cycles: CYCLES } : { seconds: SECONDS };
    for (let i = 0; i < ROUNDS && !stopping; i++) {
      for (const name of (i % 2 === 0 ? ['runc', 'tsrunc'] : ['tsrunc', 'runc']) as Name[]) {
        if (stopping) break;
        const r = await round(name, rounds.length + 1, scratch, trouble[name], notes, budget);
        rounds.push(r);
        process.stderr.write(`  round ${rounds.length}: ${name} ${r.perSecond.toFixed(1)} cycles/s\n`);
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const leaked = removeTree(scratch);
    if (leaked.length > 0) notes.push(`mounts were left under ${scratch}: ${leaked.join(', ')}`);
  }
  const load1 = os.loadavg();

  const of = (n: Name): number[] => rounds.filter((r) => r.name === n && !r.interrupted).map((r) => r.perSecond);
  const med = { runc: median(of('runc')), tsrunc: median(of('tsrunc')) };
  const ratio = med.runc && med.tsrunc !== undefined ? med.tsrunc / med.runc : undefined;
  const f = (x: number | undefined, d = 1): string => (x === undefined ? 'n/a' : x.toFixed(d));
  const la = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  const amount = CYCLES > 0 ? `${CYCLES} cycles per stream` : `${SECONDS} s`;
  const lines = [
    `tsrunc parallel throughput: ${STREAMS} streams at once, each looping create -> start -> delete --force of /bin/true, ${amount} per round`,
    `  ${ROUNDS} round(s) per runtime, alternated (runc, tsrunc, tsrunc, runc, ...); cycles per second: HIGHER is better`,
    `  ratio = tsrunc/runc: >= ${TARGET.toFixed(1)}x means tsrunc does at least runc's throughput (issue 33's target)`,
    `  runc:   ${runtimeCommand('runc').label}`,
    `  tsrunc: ${runtimeCommand('tsrunc').label}`,
    `  ${cacheLine}`,
    `  load average (1, 5, 15 min): ${la(load0)} at the start, ${la(load1)} at the end; per round as it began (with this bench's own streams)`,
    `  busy: share of all ${os.cpus().length} CPUs' time not idle in the round (near 100%: the figure is bound by CPU);`,
    '  CPU ms/cycle: that busy time per cycle (the runtime, the kernel, this harness, and anything else running)',
    '',
    `${'round'.padEnd(7)}${'runtime'.padEnd(9)}${'cycles'.padStart(7)}${'failed'.padStart(8)}${'seconds'.padStart(9)}${'cycles/s'.padStart(10)}${'load 1m'.padStart(9)}${'busy'.padStart(6)}${'CPU ms/cycle'.padStart(14)}`,
  ];
  lines.push('-'.repeat(lines[lines.length - 1].length));
  rounds.forEach((r, i) => lines.push(
    `${String(i + 1).padEnd(7)}${r.name.padEnd(9)}${String(r.cycles).padStart(7)}${String(r.failed).padStart(8)}${r.seconds.toFixed(1).padStart(9)}${r.perSecond.toFixed(1).padStart(10)}${r.load1.toFixed(2).padStart(9)}${`${Math.round(r.busy * 100)}%`.padStart(6)}${r.cpuMsPerCycle.toFixed(1).padStart(14)}${r.interrupted ? '  (interrupted, not counted)' : ''}`,
  ));
  lines.push('');
  const cpuMs = (n: Name): number | undefined => median(rounds.filter((r) => r.name === n && !r.interrupted).map((r) => r.cpuMsPerCycle));
  for (const n of ['runc', 'tsrunc'] as Name[]) {
    lines.push(`${n.padEnd(7)} median ${f(med[n]).padStart(6)} cycles/s, ${f(cpuMs(n))} CPU ms/cycle   rounds: ${of(n).map((x) => f(x)).join(', ') || 'none'}`);
  }
  const verdict = ratio === undefined ? '' : ratio >= TARGET ? ' (meets the target)' : ' (! below the target)';
  lines.push(`ratio tsrunc/runc: ${ratio === undefined ? 'n/a' : `${ratio.toFixed(2)}x`}${verdict}`);
  for (const n of ['runc', 'tsrunc'] as Name[]) {
    const t = trouble[n];
    if (t.failed > 0) lines.push(`FAILED ${n}: ${t.failed} cycle(s)${t.warmUp ? ` (${t.warmUp} of them warm-up)` : ''}${t.gaveUp ? `, ${t.gaveUp} stream(s) gave up after ${FAILS_IN_A_ROW} in a row` : ''}; first: ${t.first}`);
    for (const [w, count] of [...t.warnings].slice(0, 5)) lines.push(`stderr of ${n} (${count}x, commands that succeeded): ${w}`);
    if (t.warnings.size > 5) lines.push(`stderr of ${n}: ${t.warnings.size - 5} more distinct line(s)`);
  }
  for (const note of notes) lines.push(`note: ${note}`);
  if (stopping) lines.push('INTERRUPTED: the figures cover the rounds that finished');
  lines.push(`(parallel bench took ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  console.log(lines.join('\n'));
  console.log(JSON.stringify({
    bench: 'tsrunc-vs-runc-parallel', streams: STREAMS, seconds: CYCLES > 0 ? null : SECONDS, cyclesPerStream: CYCLES || null,
    roundsPerRuntime: ROUNDS, runc: runtimeCommand('runc').label, tsrunc: runtimeCommand('tsrunc').label,
    cyclesPerSecond: med, cpuMsPerCycle: { runc: cpuMs('runc'), tsrunc: cpuMs('tsrunc') }, ratio, target: TARGET, meetsTarget: ratio === undefined ? undefined : ratio >= TARGET,
    rounds: rounds.map((r) => ({ runtime: r.name, cycles: r.cycles, failed: r.failed, seconds: r.seconds, cyclesPerSecond: r.perSecond, load1: r.load1, busy: r.busy, cpuMsPerCycle: r.cpuMsPerCycle, interrupted: r.interrupted })),
    loadavg: { start: load0, end: load1 },
    failures: Object.fromEntries((['runc', 'tsrunc'] as Name[]).map((n) => [n, { count: trouble[n].failed, first: trouble[n].first ?? null }])),
    stderr: Object.fromEntries((['runc', 'tsrunc'] as Name[]).map((n) => [n, Object.fromEntries(trouble[n].warnings)])),
    notes, interrupted: stopping,
  }));
  if (stopping) process.exitCode = 130;
}
