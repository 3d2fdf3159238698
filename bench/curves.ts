// Cost curves: how a command's time grows with the work it is given, tsrunc beside runc in the
// same run (`npm run bench -- --curves`). For each point both runtimes are timed alternately
// (who goes first swaps each iteration) and the medians of wall time and of CPU time are printed.
//
// CPU time is the runtime process's user+sys and its waited-for children's, taken from
// `perf stat -e task-clock` when perf works here (else only wall time is shown): on a loaded
// machine it moves much less than wall time. The container's own processes are not in it after
// `create` returns, as they are not the runtime's work.
//
// Each runtime gets its own bundles, and every container its own cgroup (config.json's
// cgroupsPath is rewritten before each create), so no two containers ever share one.
//
// Env: BENCH_CURVE_N (timed iterations per point, default 5), BENCH_CURVE_CONTAINERS (sizes of the
// `list`/`state` curve, default "1,100,1000"), BENCH_CURVE_MOUNTS (default "10,100,1000").

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeBundle, removeTree, TEST_CGROUP_PARENT, type Bundle } from '../test/helpers/rootfs';
import { runtimeCommand } from '../test/helpers/runtime';
import { filesOfCommand, pageCacheMode, preparePageCache } from './page-cache';
import { median } from './stats';

type Name = 'runc' | 'tsrunc';
const NAMES: Name[] = ['runc', 'tsrunc'];

function sizes(v: string | undefined, dflt: number[]): number[] {
  if (!v) return dflt;
  const xs = v.split(',').map(Number);
  if (xs.some((x) => !Number.isInteger(x) || x < 1)) throw new Error(`bad list of sizes ${JSON.stringify(v)}`);
  return xs;
}

const N = sizes(process.env.BENCH_CURVE_N, [5])[0];
const CONTAINERS = sizes(process.env.BENCH_CURVE_CONTAINERS, [1, 100, 1000]);
const MOUNTS = sizes(process.env.BENCH_CURVE_MOUNTS, [10, 100, 1000]);

interface Sample { wall: number; cpu?: number }

export function runCurves(): void {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-curves-'));
  const perfOut = path.join(scratch, 'perf.out');
  const errFile = path.join(scratch, 'stderr');
  const hasPerf = spawnSync('perf', ['stat', '-x,', '-e', 'task-clock', '-o', perfOut, 'true'], { stdio: 'ignore' }).status === 0;
  const rt = Object.fromEntries(NAMES.map((n) => {
    const root = path.join(scratch, n, 'state');
    fs.mkdirSync(root, { recursive: true });
    return [n, { argv: runtimeCommand(n).argv, root, label: runtimeCommand(n).label }];
  })) as Record<Name, { argv: string[]; root: string; label: string }>;
  const cacheLine = preparePageCache(pageCacheMode(), NAMES.flatMap((n) => filesOfCommand(rt[n].argv[0])));
  const bundles: Bundle[] = [];
  const live: { n: Name; id: string }[] = [];
  let seq = 0;

  const args = (n: Name, a: string[]): string[] => [...rt[n].argv, '--root', rt[n].root, ...a];

  /** Runs a command (stdio off: a created container's init must not hold our pipes) and times it. */
  function timed(argv: string[]): Sample {
    const err = fs.openSync(errFile, 'w');
    try {
      const cmd = hasPerf ? ['perf', 'stat', '-x,', '-e', 'task-clock', '-o', perfOut, ...argv] : argv;
      const t0 = process.hrtime.bigint();
      const r = spawnSync(cmd[0], cmd.slice(1), { stdio: ['ignore', 'ignore', err] });
      const wall = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${fs.readFileSync(errFile, 'utf8').trim() || `exit ${r.status ?? r.signal}`}`);
      if (!hasPerf) return { wall };
      const line = fs.readFileSync(perfOut, 'utf8').split('\n').find((l) => l.includes('task-clock'));
      return { wall, cpu: line ? Number(line.split(',')[0]) : undefined };
    } finally {
      fs.closeSync(err);
    }
  }

  function bundleFor(mutate?: (spec: any) => void, processArgs: string[] = ['sleep', '1000']): Record<Name, Bundle> {
    const out = {} as Record<Name, Bundle>;
    for (const n of NAMES) {
      const b = makeBundle({ args: processArgs, parent: scratch, mutate });
      bundles.push(b);
      out[n] = b;
    }
    return out;
  }

  /** Creates a container from b in a cgroup of its own; returns its id. */
  function create(n: Name, b: Bundle, time = false): { id: string; s?: Sample } {
    const id = `curve-${process.pid}-${n}-${++seq}`;
    b.spec.linux.cgroupsPath = `${TEST_CGROUP_PARENT}/${id}`;
    b.writeSpec();
    live.push({ n, id });
    const argv = args(n, ['create', '--bundle', b.dir, id]);
    if (time) return { id, s: timed(argv) };
    const r = spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${n} create ${id} failed (exit ${r.status ?? r.signal})`);
    return { id };
  }

  function remove(n: Name, id: string): void {
    const argv = args(n, ['delete', '--force', id]);
    spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' });
    const i = live.findIndex((c) => c.n === n && c.id === id);
    if (i >= 0) live.splice(i, 1);
  }

  const rows: { what: string; runc: Sample[]; tsrunc: Sample[] }[] = [];
  /** One point of a curve: f timed N times per runtime, alternating who goes first. */
  function point(what: string, f: (n: Name) => Sample): void {
    const row = { what, runc: [] as Sample[], tsrunc: [] as Sample[] };
    for (let i = 0; i < N; i++) for (const n of i % 2 ? [...NAMES].reverse() : NAMES) row[n].push(f(n));
    rows.push(row);
    process.stderr.write(`  ${what}: done\n`);
  }

  const t0 = Date.now();
  try {
    // Mounts in the config: create of a container with N bind mounts (then deleted, untimed).
    const source = fs.mkdtempSync(path.join(scratch, 'src-'));
    for (const count of MOUNTS) {
      const b = bundleFor((spec) => {
        for (let i = 0; i < count; i++) spec.mounts.push({ destination: `/mnt/m${i}`, type: 'bind', source, options: ['bind', 'ro'] });
      });
      point(`create, ${count} bind mounts`, (n) => {
        const { id, s } = create(n, b[n], true);
        remove(n, id);
        return s!;
      });
    }

    // Masked paths: 10 vs 266 (the count Kubernetes' default profile reaches), each an existing file.
    for (const count of [10, 266]) {
      const b = bundleFor((spec) => {
        spec.linux.maskedPaths = Array.from({ length: count }, (_, i) => `/masked/f${i}`);
      });
      for (const n of NAMES) {
        fs.mkdirSync(path.join(b[n].rootfs, 'masked'), { recursive: true });
        for (let i = 0; i < count; i++) fs.writeFileSync(path.join(b[n].rootfs, 'masked', `f${i}`), '');
      }
      point(`create, ${count} masked paths`, (n) => {
        const { id, s } = create(n, b[n], true);
        remove(n, id);
        return s!;
      });
    }

    // A 1 MB config (annotations make up the size; everything else is the default bundle's).
    {
      const b = bundleFor((spec) => {
        spec.annotations = Object.fromEntries(Array.from({ length: 1024 }, (_, i) => [`bench.tsrunc/a${i}`, 'x'.repeat(1000)]));
      });
      point(`create, config of ${(fs.statSync(b.runc.configPath).size / 1e6).toFixed(1)} MB`, (n) => {
        const { id, s } = create(n, b[n], true);
        remove(n, id);
        return s!;
      });
    }

    // exec /bin/true into a container running 1 vs 100 processes.
    for (const procs of [1, 100]) {
      const script = procs === 1 ? 'exec sleep 1000' : `i=0; while [ $i -lt ${procs - 1} ]; do sleep 1000 & i=$((i+1)); done; exec sleep 1000`;
      const b = bundleFor(undefined, ['sh', '-c', script]);
      const ids = {} as Record<Name, string>;
      for (const n of NAMES) {
        ids[n] = create(n, b[n]).id;
        const s = args(n, ['start', ids[n]]);
        if (spawnSync(s[0], s.slice(1), { stdio: 'ignore' }).status !== 0) throw new Error(`${n} start failed`);
      }
      point(`exec, container of ${procs} processes`, (n) => timed(args(n, ['exec', ids[n], '/bin/true'])));
      for (const n of NAMES) remove(n, ids[n]);
    }

    // list and state with K containers in the root (created, not started: their inits wait).
    {
      const b = bundleFor();
      const have = { runc: [] as string[], tsrunc: [] as string[] };
      for (const count of CONTAINERS) {
        for (const n of NAMES) while (have[n].length < count) have[n].push(create(n, b[n]).id);
        point(`list, ${count} containers`, (n) => timed(args(n, ['list'])));
        point(`state, ${count} containers`, (n) => timed(args(n, ['state', have[n][0]])));
      }
      for (const n of NAMES) for (const id of have[n]) remove(n, id);
    }
  } finally {
    for (const { n, id } of [...live]) remove(n, id);
    for (const b of bundles) b.cleanup();
    const leaked = removeTree(scratch);
    if (leaked.length > 0) console.error(`warning: mounts were left under ${scratch}: ${leaked.join(', ')}`);
  }

  const f = (x: number | undefined): string => (x === undefined ? 'n/a' : x.toFixed(1));
  const pad = (s: string, w: number): string => s.padEnd(w);
  const lp = (s: string, w: number): string => s.padStart(w);
  const lines = [
    `tsrunc cost curves: ${N} iterations per point, alternating runtimes; medians in ms`,
    `  runc:   ${rt.runc.label}`,
    `  tsrunc: ${rt.tsrunc.label}`,
    `  ${cacheLine}`,
    `  cpu: ${hasPerf ? 'user+sys of the command and its waited-for children (perf stat task-clock)' : 'n/a (perf stat does not work here)'}`,
    '',
  ];
  const header = `${pad('point', 34)}${lp('runc wall', 10)}${lp('tsrunc', 8)}${lp('ratio', 7)}${lp('runc cpu', 10)}${lp('tsrunc', 8)}${lp('ratio', 7)}`;
  lines.push(header, '-'.repeat(header.length));
  const json: Record<string, unknown> = {};
  for (const r of rows) {
    const m = (n: Name, k: keyof Sample): number | undefined => median(r[n].map((s) => s[k]).filter((x): x is number => x !== undefined));
    const [rw, tw, rc, tc] = [m('runc', 'wall'), m('tsrunc', 'wall'), m('runc', 'cpu'), m('tsrunc', 'cpu')];
    const ratio = (a?: number, b?: number): string => (a && b ? `${(b / a).toFixed(2)}x` : 'n/a');
    lines.push(`${pad(r.what, 34)}${lp(f(rw), 10)}${lp(f(tw), 8)}${lp(ratio(rw, tw), 7)}${lp(f(rc), 10)}${lp(f(tc), 8)}${lp(ratio(rc, tc), 7)}`);
    json[r.what] = { runcWallMs: rw, tsruncWallMs: tw, runcCpuMs: rc, tsruncCpuMs: tc };
  }
  lines.push('', `(curves took ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  console.log(lines.join('\n'));
  console.log(JSON.stringify({ bench: 'tsrunc-vs-runc-curves', n: N, points: json }));
}
