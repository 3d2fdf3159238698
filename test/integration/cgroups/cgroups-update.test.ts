// `update`, `pause`/`resume` and `events` on this hybrid host, read back from the cgroup files the
// kernel keeps, with values that differ from the kernel's defaults, each case against runc 1.1.5
// first: every flag runc has, a resources file and stdin, raising and lowering memory with swap
// (whose order the kernel enforces), "unlimited" values, flags runc refuses, an update of a paused
// container, and pause/resume of a container with several processes, in every state. The pids
// limit's 0 and -1 are left to their own tests. Pure cgroup v2 is the UML lane's.
import { describe, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { detectCgroupHost } from '../../../src/cgroups/host';
import { TEST_CGROUP_PARENT, type Bundle, type BundleOptions, type Spec } from '../../helpers/rootfs';
import { describeResult, sleep, type Runtime } from '../../helpers/runtime';
import { expectOk, forEachRuntime, runtimesForSuite, withContainer } from '../../helpers/suite';

const pair = runtimesForSuite();
const { sut } = pair;
const host = detectCgroupHost();
const MiB = 1024 * 1024;

function both(name: string, fn: (t: TestContext, rt: Runtime) => Promise<void>, skip?: () => string | undefined): void {
  forEachRuntime(pair, name, fn, () => (host.kind === 'v1' || host.kind === 'hybrid' ? skip?.() : `a cgroup v1/hybrid host is needed; this one is ${host.kind}`));
}

/** A controller's file of the container, as the kernel shows it. */
const cgFile = (b: Bundle, controller: string, file: string): string =>
  fs.readFileSync(path.join('/sys/fs/cgroup', controller, String(b.spec.linux.cgroupsPath), file), 'utf8').trim();

const hasFile = (controller: string, file: string): boolean => fs.existsSync(path.join('/sys/fs/cgroup', controller, file));

function running(resources: Record<string, unknown>, extra: BundleOptions = {}): BundleOptions {
  return {
    args: ['sleep', '120'],
    ...extra,
    mutate: (s) => {
      (s.linux as Record<string, unknown>).resources = resources;
      extra.mutate?.(s);
    },
  };
}

async function withLive(rt: Runtime, prefix: string, opts: BundleOptions, fn: (b: Bundle, id: string, pid: number) => Promise<void>): Promise<void> {
  await withContainer(rt, prefix, opts, async (b, id) => {
    expectOk(await rt.exec(['run', '--detach', '--bundle', b.dir, id], { stdoutPath: rt.ioPath(`${id}.out`), stderrPath: rt.ioPath(`${id}.err`) }), 'run --detach');
    const { pid } = await rt.state(id);
    await fn(b, id, pid);
  });
}

/** The scheduler state letter of every process in the container (v1 freezer: frozen tasks sleep in D). */
function states(b: Bundle): string[] {
  const procs = cgFile(b, 'freezer', 'cgroup.procs').split('\n').filter(Boolean);
  return procs.map((p) => /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? '?');
}

/** runc 1.1.5's update lists no --kernel-memory (runc 1.0 had it; tsrunc keeps it as a no-op). */
const refHasKernelMemoryFlag = (): boolean => /kernel-memory/.test(spawnSync(pair.ref?.argv[0] ?? 'runc', ['update', '--help'], { encoding: 'utf8' }).stdout ?? '');

const noSwapAccounting = (): string | undefined => (hasFile('memory', 'memory.memsw.limit_in_bytes') ? undefined : 'this kernel does not account swap (no memory.memsw.limit_in_bytes)');

describe(`cgroups: update, pause/resume, events read back from the kernel (${sut.label})`, () => {
  both('every update flag lands in its file (cpu, cpuset, memory, pids), with values that are not the defaults', async (_t, rt) => {
    await withLive(rt, 'cgu-flags', running({ memory: { limit: 64 * MiB }, pids: { limit: 30 } }), async (b, id) => {
      const r = await rt.exec(['update',
        '--cpu-share', '300', '--cpu-period', '250000', '--cpu-quota', '50000', '--cpu-rt-period', '500000',
        '--cpuset-cpus', '1', '--cpuset-mems', '0',
        '--memory', '100m', '--memory-reservation', '50m', '--pids-limit', '7', id]);
      expectOk(r, 'update');
      assert.equal(cgFile(b, 'cpu', 'cpu.shares'), '300');
      assert.equal(cgFile(b, 'cpu', 'cpu.cfs_period_us'), '250000');
      assert.equal(cgFile(b, 'cpu', 'cpu.cfs_quota_us'), '50000');
      assert.equal(cgFile(b, 'cpu', 'cpu.rt_period_us'), '500000');
      assert.equal(cgFile(b, 'cpuset', 'cpuset.cpus'), '1');
      assert.equal(cgFile(b, 'cpuset', 'cpuset.mems'), '0');
      assert.equal(cgFile(b, 'memory', 'memory.limit_in_bytes'), String(100 * MiB));
      assert.equal(cgFile(b, 'memory', 'memory.soft_limit_in_bytes'), String(50 * MiB));
      assert.equal(cgFile(b, 'pids', 'pids.max'), '7');
    });
  });

  both('an update names only what changes: the other limits stay as they were', async (_t, rt) => {
    await withLive(rt, 'cgu-partial', running({ memory: { limit: 64 * MiB }, pids: { limit: 30 }, cpu: { shares: 512, quota: 30000, period: 200000 } }), async (b, id) => {
      expectOk(await rt.exec(['update', '--cpu-share', '700', id]), 'update --cpu-share');
      assert.equal(cgFile(b, 'cpu', 'cpu.shares'), '700');
      assert.equal(cgFile(b, 'cpu', 'cpu.cfs_quota_us'), '30000');
      assert.equal(cgFile(b, 'cpu', 'cpu.cfs_period_us'), '200000');
      assert.equal(cgFile(b, 'memory', 'memory.limit_in_bytes'), String(64 * MiB));
      assert.equal(cgFile(b, 'pids', 'pids.max'), '30');
    });
  });

  both('memory with swap: raised (the total first) and lowered (the limit first) in one update each', async (_t, rt) => {
    await withLive(rt, 'cgu-swap', running({ memory: { limit: 64 * MiB, swap: 128 * MiB } }), async (b, id) => {
      expectOk(await rt.exec(['update', '--memory', '300m', '--memory-swap', '600m', id]), 'raise');
      assert.equal(cgFile(b, 'memory', 'memory.limit_in_bytes'), String(300 * MiB));
      assert.equal(cgFile(b, 'memory', 'memory.memsw.limit_in_bytes'), String(600 * MiB));
      expectOk(await rt.exec(['update', '--memory', '30m', '--memory-swap', '40m', id]), 'lower');
      assert.equal(cgFile(b, 'memory', 'memory.limit_in_bytes'), String(30 * MiB));
      assert.equal(cgFile(b, 'memory', 'memory.memsw.limit_in_bytes'), String(40 * MiB));
    });
  }, noSwapAccounting);

  both('-1 lifts a limit: --memory -1 (swap too), --cpu-quota -1', async (_t, rt) => {
    await withLive(rt, 'cgu-unlimited', running({ memory: { limit: 64 * MiB, swap: 128 * MiB }, cpu: { quota: 30000, period: 100000 } }), async (b, id) => {
      expectOk(await rt.exec(['update', '--memory', '-1', '--cpu-quota', '-1', id]), 'update to unlimited');
      const unlimited = BigInt('0x7ffffffffffff000');
      assert.equal(BigInt(cgFile(b, 'memory', 'memory.limit_in_bytes')), unlimited);
      assert.equal(BigInt(cgFile(b, 'memory', 'memory.memsw.limit_in_bytes')), unlimited);
      assert.equal(cgFile(b, 'cpu', 'cpu.cfs_quota_us'), '-1');
    });
  }, noSwapAccounting);

  both('--resources FILE and --resources - (stdin) set cpu, cpuset and memory; other flags are then ignored', async (_t, rt) => {
    await withLive(rt, 'cgu-file', running({ memory: { limit: 64 * MiB }, pids: { limit: 30 } }), async (b, id) => {
      const file = path.join(b.dir, 'resources.json');
      fs.writeFileSync(file, JSON.stringify({ cpu: { shares: 400, quota: 40000, period: 300000, cpus: '1', realtimePeriod: 400000 }, memory: { limit: 90 * MiB, reservation: 20 * MiB } }));
      expectOk(await rt.exec(['update', '--resources', file, '--cpu-share', '999', id]), 'update --resources FILE');
      assert.equal(cgFile(b, 'cpu', 'cpu.shares'), '400', 'the file wins over the flags');
      assert.equal(cgFile(b, 'cpu', 'cpu.cfs_quota_us'), '40000');
      assert.equal(cgFile(b, 'cpu', 'cpu.cfs_period_us'), '300000');
      assert.equal(cgFile(b, 'cpu', 'cpu.rt_period_us'), '400000');
      assert.equal(cgFile(b, 'cpuset', 'cpuset.cpus'), '1');
      assert.equal(cgFile(b, 'memory', 'memory.limit_in_bytes'), String(90 * MiB));
      assert.equal(cgFile(b, 'memory', 'memory.soft_limit_in_bytes'), String(20 * MiB));
      expectOk(await rt.exec(['update', '--resources', '-', id], { stdin: JSON.stringify({ pids: { limit: 12 }, memory: { limit: 70 * MiB } }) }), 'update --resources -');
      assert.equal(cgFile(b, 'pids', 'pids.max'), '12');
      assert.equal(cgFile(b, 'memory', 'memory.limit_in_bytes'), String(70 * MiB));
    });
  });

  both('memory units: k, m and g are binary multiples', async (_t, rt) => {
    await withLive(rt, 'cgu-units', running({ memory: { limit: 64 * MiB } }), async (b, id) => {
      for (const [flag, bytes] of [['2g', 2 * 1024 * MiB], ['98304k', 96 * MiB], ['150m', 150 * MiB]] as const) {
        expectOk(await rt.exec(['update', '--memory', flag, id]), `--memory ${flag}`);
        assert.equal(cgFile(b, 'memory', 'memory.limit_in_bytes'), String(bytes), `--memory ${flag}`);
      }
    });
  });

  both('bad values and Intel RDT flags are refused, and the limits stay as they were', async (_t, rt) => {
    await withLive(rt, 'cgu-bad', running({ memory: { limit: 64 * MiB }, cpu: { shares: 512 } }), async (b, id) => {
      for (const args of [['--memory', 'lots'], ['--cpu-share', '-5'], ['--cpu-quota', '1.5'], ['--l3-cache-schema', 'L3:0=f'], ['--mem-bw-schema', 'MB:0=70']]) {
        const r = await rt.exec(['update', ...args, id]);
        assert.notEqual(r.code, 0, describeResult(r));
      }
      // This host has no Intel RDT: runc's words.
      for (const [flag, words] of [['--l3-cache-schema', 'Intel RDT/CAT: l3 cache schema is not enabled'], ['--mem-bw-schema', 'Intel RDT/MBA: memory bandwidth schema is not enabled']]) {
        const r = await rt.exec(['update', flag, 'X:0=1', '--memory', '90m', id]);
        assert.ok(r.code !== 0 && r.stderr.includes(words), describeResult(r));
      }
      assert.equal(cgFile(b, 'memory', 'memory.limit_in_bytes'), String(64 * MiB));
      assert.equal(cgFile(b, 'cpu', 'cpu.shares'), '512');
    });
  });

  both('--resources takes memory, cpu, blockIO and pids only; a broken or missing file is refused naming it', async (_t, rt) => {
    await withLive(rt, 'cgu-file-bad', running({ memory: { limit: 64 * MiB }, pids: { limit: 30 } }), async (b, id) => {
      const devicesBefore = cgFile(b, 'devices', 'devices.list');
      const file = path.join(b.dir, 'more.json');
      fs.writeFileSync(file, JSON.stringify({ pids: { limit: 21 }, devices: [{ allow: false, access: 'rwm' }] }));
      expectOk(await rt.exec(['update', '--resources', file, id]), 'update with devices in the file');
      assert.equal(cgFile(b, 'pids', 'pids.max'), '21');
      assert.equal(cgFile(b, 'devices', 'devices.list'), devicesBefore, 'device rules are not something update changes');
      const missing = await rt.exec(['update', '--resources', path.join(b.dir, 'nope.json'), id]);
      assert.notEqual(missing.code, 0, describeResult(missing));
      assert.match(missing.stderr, /nope\.json: no such file or directory/, describeResult(missing));
      fs.writeFileSync(file, '{"pids": ');
      const broken = await rt.exec(['update', '--resources', file, id]);
      assert.notEqual(broken.code, 0, describeResult(broken));
      const fromStdin = await rt.exec(['update', '--resources', '-', id], { stdin: 'not json' });
      assert.notEqual(fromStdin.code, 0, describeResult(fromStdin));
      assert.equal(cgFile(b, 'pids', 'pids.max'), '21', 'nothing written by the refused updates');
    });
  });

  both('--kernel-memory is accepted and changes nothing but a warning', async (t, rt) => {
    if (rt.kind === 'runc' && !refHasKernelMemoryFlag()) return t.skip('this runc has no --kernel-memory flag');
    await withLive(rt, 'cgu-kmem', running({ memory: { limit: 64 * MiB } }), async (b, id) => {
      const r = await rt.exec(['update', '--kernel-memory', '50m', '--memory', '90m', id]);
      expectOk(r, 'update --kernel-memory');
      assert.match(r.stderr, /kernel memory/i, describeResult(r));
      assert.equal(cgFile(b, 'memory', 'memory.limit_in_bytes'), String(90 * MiB));
    });
  });

  both('realtime: --cpu-rt-period and --cpu-rt-runtime land in a cgroup given a realtime budget (one below the root)', async (_t, rt) => {
    // A new cgroup's budget (cpu.rt_runtime_us) is 0, and a child can have no more than its
    // parent: only a cgroup right below the root, which has the whole budget, can get one.
    const opts = running({ pids: { limit: 30 } });
    const topLevel = (s: Spec): void => {
      opts.mutate?.(s);
      s.linux.cgroupsPath = String(s.linux.cgroupsPath).replace(`${TEST_CGROUP_PARENT}/`, `${TEST_CGROUP_PARENT}-rt-`);
    };
    await withLive(rt, 'cgu-rt', { ...opts, mutate: topLevel }, async (b, id) => {
      assert.ok(String(b.spec.linux.cgroupsPath).startsWith(`${TEST_CGROUP_PARENT}-rt-`), String(b.spec.linux.cgroupsPath));
      assert.doesNotMatch(String(b.spec.linux.cgroupsPath).slice(1), /\//, 'right below the root');
      assert.equal(cgFile(b, 'cpu', 'cpu.rt_runtime_us'), '0');
      expectOk(await rt.exec(['update', '--cpu-rt-period', '800000', '--cpu-rt-runtime', '20000', id]), 'update --cpu-rt-*');
      assert.equal(cgFile(b, 'cpu', 'cpu.rt_period_us'), '800000');
      assert.equal(cgFile(b, 'cpu', 'cpu.rt_runtime_us'), '20000');
      const tooMuch = await rt.exec(['update', '--cpu-rt-runtime', '900000', id]);
      assert.notEqual(tooMuch.code, 0, `a runtime beyond the period is refused by the kernel\n${describeResult(tooMuch)}`);
      assert.equal(cgFile(b, 'cpu', 'cpu.rt_runtime_us'), '20000');
      const unlimited = await rt.exec(['update', '--cpu-rt-runtime', '-1', id]);
      assert.notEqual(unlimited.code, 0, `no unlimited budget below a limited root\n${describeResult(unlimited)}`);
      assert.match(unlimited.stderr, /cpu\.rt_runtime_us: invalid argument/, describeResult(unlimited));
      assert.equal(cgFile(b, 'cpu', 'cpu.rt_runtime_us'), '20000');
    });
  }, () => (hasFile('cpu', 'cpu.rt_runtime_us') ? undefined : 'this kernel has no realtime group scheduling (CONFIG_RT_GROUP_SCHED)'));

  both('--blkio-weight on a kernel with neither CFQ nor BFQ is refused (by tsrunc before it writes anything)', async (_t, rt) => {
    await withLive(rt, 'cgu-blkio', running({ pids: { limit: 30 } }), async (b, id) => {
      const r = await rt.exec(['update', '--blkio-weight', '300', '--pids-limit', '9', id]);
      assert.notEqual(r.code, 0, describeResult(r));
      // runc 1.1.5 writes the pids limit before it fails on the weight; tsrunc refuses first.
      if (rt.kind === 'tsrunc') {
        assert.match(r.stderr, /blockIO\.weight: this kernel has neither blkio\.weight nor blkio\.bfq\.weight/, describeResult(r));
        assert.equal(cgFile(b, 'pids', 'pids.max'), '30');
      }
    });
  }, () => (hasFile('blkio', 'blkio.weight') || hasFile('blkio', 'blkio.bfq.weight') ? 'this kernel has a blkio weight file (CFQ or BFQ)' : undefined));

  both('an update without kernel memory flags prints nothing', async (_t, rt) => {
    await withLive(rt, 'cgu-quiet', running({ pids: { limit: 30 } }), async (b, id) => {
      const r = await rt.exec(['update', '--pids-limit', '25', id]);
      expectOk(r, 'update');
      assert.equal(r.stderr, '', describeResult(r));
      assert.equal(r.stdout, '', describeResult(r));
      assert.equal(cgFile(b, 'pids', 'pids.max'), '25');
    });
  });

  both('--kernel-memory-tcp alone is accepted with the warning and changes nothing else', async (t, rt) => {
    if (rt.kind === 'runc' && !refHasKernelMemoryFlag()) return t.skip('this runc has no --kernel-memory-tcp flag');
    await withLive(rt, 'cgu-kmemtcp', running({ memory: { limit: 64 * MiB } }), async (b, id) => {
      const r = await rt.exec(['update', '--kernel-memory-tcp', '50m', id]);
      expectOk(r, 'update --kernel-memory-tcp');
      assert.match(r.stderr, /kernel memory/i, describeResult(r));
      assert.equal(cgFile(b, 'memory', 'memory.limit_in_bytes'), String(64 * MiB));
    });
  });

  both('update of a paused container writes the limits and leaves it paused', async (_t, rt) => {
    await withLive(rt, 'cgu-paused', running({ memory: { limit: 64 * MiB } }), async (b, id) => {
      expectOk(await rt.exec(['pause', id]), 'pause');
      expectOk(await rt.exec(['update', '--memory', '80m', '--cpu-share', '333', id]), 'update while paused');
      assert.equal(cgFile(b, 'memory', 'memory.limit_in_bytes'), String(80 * MiB));
      assert.equal(cgFile(b, 'cpu', 'cpu.shares'), '333');
      assert.equal((await rt.state(id)).status, 'paused');
      assert.equal(cgFile(b, 'freezer', 'freezer.state'), 'FROZEN');
      expectOk(await rt.exec(['resume', id]), 'resume');
    });
  });

  both('pause freezes every process of the container, resume thaws them all; the state follows', async (_t, rt) => {
    await withLive(rt, 'cgu-pause', running({}, { args: ['sh', '-c', 'sleep 111 & sleep 112 & while true; do sleep 0.05; done'] }), async (b, id) => {
      const deadline = Date.now() + 5000;
      while (cgFile(b, 'freezer', 'cgroup.procs').split('\n').filter(Boolean).length < 3 && Date.now() < deadline) await sleep(20);
      expectOk(await rt.exec(['pause', id]), 'pause');
      assert.equal(cgFile(b, 'freezer', 'freezer.state'), 'FROZEN');
      assert.equal((await rt.state(id)).status, 'paused');
      const frozen = states(b);
      assert.ok(frozen.length >= 3, `processes: ${frozen.join(' ')}`);
      assert.deepEqual([...new Set(frozen)], ['D'], `every process is frozen: ${frozen.join(' ')}`);
      const again = await rt.exec(['pause', id]);
      assert.notEqual(again.code, 0, 'pausing a paused container is refused');
      assert.match(again.stderr, /container not running/, describeResult(again));
      expectOk(await rt.exec(['resume', id]), 'resume');
      assert.equal(cgFile(b, 'freezer', 'freezer.state'), 'THAWED');
      assert.equal((await rt.state(id)).status, 'running');
      assert.ok(!states(b).includes('D'), `nothing stays frozen: ${states(b).join(' ')}`);
    });
  });

  both('a created container can be paused and resumed before start; it is "created" again afterwards', async (_t, rt) => {
    await withContainer(rt, 'cgu-created', running({}), async (b, id) => {
      expectOk(await rt.exec(['create', '--bundle', b.dir, id], { stdoutPath: rt.ioPath(`${id}.out`), stderrPath: rt.ioPath(`${id}.err`) }), 'create');
      expectOk(await rt.exec(['pause', id]), 'pause a created container');
      assert.equal(cgFile(b, 'freezer', 'freezer.state'), 'FROZEN');
      assert.equal((await rt.state(id)).status, 'paused');
      expectOk(await rt.exec(['resume', id]), 'resume');
      assert.equal(cgFile(b, 'freezer', 'freezer.state'), 'THAWED');
      assert.equal((await rt.state(id)).status, 'created');
      expectOk(await rt.exec(['start', id]), 'start after resume');
      assert.equal((await rt.state(id)).status, 'running');
    });
  });

  both('events --stats reports the limits set by update', async (_t, rt) => {
    await withLive(rt, 'cgu-events', running({ memory: { limit: 64 * MiB }, pids: { limit: 30 } }), async (_b, id) => {
      expectOk(await rt.exec(['update', '--memory', '77m', '--pids-limit', '17', '--cpu-quota', '25000', '--cpu-period', '125000', id]), 'update');
      const r = await rt.ok(['events', '--stats', id]);
      const e = JSON.parse(r.stdout.trim()) as { data: { pids: { limit: number }; memory: { usage: { limit: number } } } };
      assert.equal(e.data.pids.limit, 17, r.stdout);
      assert.equal(e.data.memory.usage.limit, 77 * MiB, r.stdout);
    });
  });
});
