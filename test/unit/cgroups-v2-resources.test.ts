// src/cgroups/v2-resources.ts: linux.resources → cgroup v2 file writes, field by field, with the
// exact text runc's fs2 driver writes (1.1, but cpu.weight as ≥ 1.3.2 and pids.max as ≥ 1.4);
// `current` stands in for the container's cgroup files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharesToWeight, v2Writes } from '../../src/cgroups/v2-resources';
import type { CgroupReader } from '../../src/cgroups/types';
import type { Resources } from '../../src/config/types';
import { recordExactIntegers } from '../../src/config/exact-integers';
import { TsruncError } from '../../src/errors';

/** A cgroup holding exactly these files. */
const files = (contents: Record<string, string>): CgroupReader => (_controller, file) => contents[file];

/** "file=value" per write, in order. */
function lines(resources: Resources, current?: CgroupReader): string[] {
  return v2Writes(resources, current).writes.map((w) => `${w.file}=${w.value}`);
}

function refused(resources: Resources, message: RegExp, current?: CgroupReader): void {
  assert.throws(() => v2Writes(resources, current), (e: unknown) => e instanceof TsruncError && message.test(e.message));
}

test('each write names its controller by the file prefix; controllers come in the kernel order', () => {
  const out = v2Writes({ pids: { limit: 10 }, memory: { limit: 4096 }, cpu: { shares: 1024, cpus: '0' } });
  assert.deepEqual(out.writes, [
    { controller: 'pids', file: 'pids.max', value: '10' },
    { controller: 'memory', file: 'memory.max', value: '4096' },
    { controller: 'cpu', file: 'cpu.weight', value: '100' },
    { controller: 'cpuset', file: 'cpuset.cpus', value: '0' },
  ]);
  assert.deepEqual(out.controllers, ['cpuset', 'cpu', 'memory', 'pids']);
  assert.deepEqual(v2Writes({}), { writes: [], controllers: [], ignored: [] });
});

test('memory: limit, reservation and -1 as "max"; zero is unset', () => {
  assert.deepEqual(lines({ memory: { limit: 1048576, reservation: 524288 } }), ['memory.max=1048576', 'memory.low=524288']);
  // -1 memory with no swap means both unlimited (runc, for v1 compatibility).
  assert.deepEqual(lines({ memory: { limit: -1 } }), ['memory.swap.max=max', 'memory.max=max']);
  assert.deepEqual(lines({ memory: { reservation: -1 } }), ['memory.low=max']);
  assert.deepEqual(lines({ memory: { limit: 0, reservation: 0, swap: 0 } }), []);
  refused({ memory: { limit: -2 } }, /^linux\.resources\.memory\.limit: -2 is not a limit/);
});

test('memory: swap is memory+swap in OCI and swap alone in v2, with runc\'s errors', () => {
  assert.deepEqual(lines({ memory: { limit: 1048576, swap: 3145728 } }), ['memory.swap.max=2097152', 'memory.max=1048576']);
  // equal: no swap at all, written as 0 (an unset swap writes nothing)
  assert.deepEqual(lines({ memory: { limit: 1048576, swap: 1048576 } }), ['memory.swap.max=0', 'memory.max=1048576']);
  assert.deepEqual(lines({ memory: { limit: 1048576, swap: -1 } }), ['memory.swap.max=max', 'memory.max=1048576']);
  refused({ memory: { swap: 1048576 } }, /^linux\.resources\.memory\.swap: unable to set swap limit without memory limit$/);
  refused({ memory: { limit: -1, swap: 1048576 } }, /unable to set swap limit without memory limit/);
  refused({ memory: { limit: 2097152, swap: 1048576 } }, /^linux\.resources\.memory\.swap: memory\+swap limit should be >= memory limit$/);
  refused({ memory: { limit: -5, swap: 1048576 } }, /^linux\.resources\.memory\.limit: invalid memory value: -5$/);
});

test('memory: without swap accounting (no memory.swap.max) "max" and "0" are dropped, a real limit is not', () => {
  const noSwap = files({ 'memory.max': 'max' });
  assert.deepEqual(lines({ memory: { limit: -1 } }, noSwap), ['memory.max=max']);
  assert.deepEqual(lines({ memory: { limit: 4096, swap: 4096 } }, noSwap), ['memory.max=4096']);
  assert.deepEqual(lines({ memory: { limit: 4096, swap: 8192 } }, noSwap), ['memory.swap.max=4096', 'memory.max=4096']);
  const withSwap = files({ 'memory.swap.max': 'max' });
  assert.deepEqual(lines({ memory: { limit: -1 } }, withSwap), ['memory.swap.max=max', 'memory.max=max']);
});

test('memory: swappiness, kernel, kernelTCP and disableOOMKiller are ignored on v2 (as runc) and listed', () => {
  const out = v2Writes({ memory: { swappiness: 10, kernel: 1 << 20, kernelTCP: 1 << 20, disableOOMKiller: true } });
  assert.deepEqual(out.writes, []);
  assert.deepEqual(out.ignored, ['linux.resources.memory.swappiness', 'linux.resources.memory.kernel', 'linux.resources.memory.kernelTCP', 'linux.resources.memory.disableOOMKiller']);
  assert.deepEqual(v2Writes({ memory: { kernel: 0, disableOOMKiller: false } }).ignored, []);
});

test('memory: checkBeforeUpdate refuses a limit at or below memory.current', () => {
  const using = files({ 'memory.current': '8192\n' });
  refused({ memory: { limit: 8192, checkBeforeUpdate: true } }, /^linux\.resources\.memory\.limit: rejecting memory limit 8192 <= usage 8192$/, using);
  refused({ memory: { limit: 16384, swap: 8000, checkBeforeUpdate: true } }, /rejecting memory\+swap limit 8000 <= usage 8192/, using);
  assert.deepEqual(lines({ memory: { limit: 16384, checkBeforeUpdate: true } }, using), ['memory.max=16384']);
  assert.deepEqual(lines({ memory: { limit: 4096 } }, using), ['memory.max=4096']); // not asked to check
});

test('integers beyond 2^53 are written exactly as config.json spells them', () => {
  const text = '{"memory": {"limit": 9223372036854775807}, "pids": {"limit": 9007199254740993}}';
  const resources = JSON.parse(text) as Resources;
  recordExactIntegers(text, resources);
  assert.deepEqual(lines(resources), ['pids.max=9007199254740993', 'memory.max=9223372036854775807']);
});

test('cpu: shares → cpu.weight by runc ≥ 1.3.2\'s quadratic on a log scale, clamped to v1\'s share range', () => {
  const weight = (shares: number): string => lines({ cpu: { shares } })[0];
  // The fixed points: both ends and the two defaults.
  assert.equal(weight(2), 'cpu.weight=1');
  assert.equal(weight(1024), 'cpu.weight=100');
  assert.equal(weight(262144), 'cpu.weight=10000');
  // Between them, rounded up (runc's integration helper gives the same: awk over its formula).
  for (const [shares, w] of [[3, 2], [10, 4], [100, 17], [256, 35], [512, 59], [2048, 174], [10000, 627], [65536, 3023], [131072, 5478], [262143, 10000]]) {
    assert.equal(weight(shares), `cpu.weight=${w}`, `${shares} shares`);
  }
  assert.equal(weight(1), 'cpu.weight=1');
  assert.equal(weight(1 << 20), 'cpu.weight=10000');
  assert.deepEqual(lines({ cpu: { shares: 0 } }), []);
  // Monotonic over the whole range: a larger share never gets a smaller weight.
  let last = 0n;
  for (let s = 2n; s <= 262144n; s += 97n) {
    const w = sharesToWeight(s);
    assert.ok(w >= last && w >= 1n && w <= 10000n, `${s} shares → ${w}`);
    last = w;
  }
});

test('cpu: quota and period → cpu.max; one alone keeps the other half of the current cpu.max', () => {
  assert.deepEqual(lines({ cpu: { quota: 50000, period: 200000 } }), ['cpu.max=50000 200000']);
  assert.deepEqual(lines({ cpu: { quota: 50000 } }), ['cpu.max=50000 100000']);
  assert.deepEqual(lines({ cpu: { period: 20000 } }), ['cpu.max=max 20000']);
  assert.deepEqual(lines({ cpu: { quota: -1, period: 20000 } }), ['cpu.max=max 20000']);
  const now = files({ 'cpu.max': '30000 250000\n' });
  assert.deepEqual(lines({ cpu: { quota: 50000 } }, now), ['cpu.max=50000 250000']);
  assert.deepEqual(lines({ cpu: { period: 20000 } }, now), ['cpu.max=30000 20000']);
  assert.deepEqual(lines({ cpu: { quota: -1 } }, now), ['cpu.max=max 250000']);
  assert.deepEqual(lines({ cpu: { quota: 0, period: 0 } }, now), []);
});

test('cpu: burst goes before cpu.max when it fits under the quota in place, after it otherwise', () => {
  assert.deepEqual(lines({ cpu: { quota: 50000, burst: 10000 } }), ['cpu.max.burst=10000', 'cpu.max=50000 100000']);
  assert.deepEqual(lines({ cpu: { quota: 50000, burst: 10000 } }, files({ 'cpu.max': 'max 100000' })), ['cpu.max.burst=10000', 'cpu.max=50000 100000']);
  assert.deepEqual(lines({ cpu: { quota: 50000, burst: 10000 } }, files({ 'cpu.max': '5000 100000' })), ['cpu.max=50000 100000', 'cpu.max.burst=10000']);
  assert.deepEqual(lines({ cpu: { burst: 0 } }), ['cpu.max.burst=0']);
});

test('cpu: idle, cpus and mems; realtime limits are refused, zero ones accepted', () => {
  assert.deepEqual(lines({ cpu: { idle: 1, cpus: '0-1', mems: '0' } }), ['cpu.idle=1', 'cpuset.cpus=0-1', 'cpuset.mems=0']);
  assert.deepEqual(lines({ cpu: { idle: 0 } }), ['cpu.idle=0']);
  assert.deepEqual(lines({ cpu: { realtimeRuntime: 0, realtimePeriod: 0, cpus: '' } }), []);
  refused({ cpu: { realtimeRuntime: 950000 } }, /^linux\.resources\.cpu\.realtimeRuntime: realtime scheduling limits are not supported on cgroup v2$/);
  refused({ cpu: { realtimePeriod: 1000000 } }, /^linux\.resources\.cpu\.realtimePeriod: /);
});

test('pids: limit → pids.max, negative as "max", 0 a limit written as 1 (runc ≥ 1.4), absent or null unset', () => {
  assert.deepEqual(lines({ pids: { limit: 100 } }), ['pids.max=100']);
  assert.deepEqual(lines({ pids: { limit: -1 } }), ['pids.max=max']);
  assert.deepEqual(lines({ pids: { limit: -7 } }), ['pids.max=max']);
  assert.deepEqual(lines({ pids: { limit: 0 } }), ['pids.max=1']);
  assert.deepEqual(lines({ pids: {} }), []);
  assert.deepEqual(lines(JSON.parse('{"pids": {"limit": null}}') as Resources), []);
  assert.deepEqual(v2Writes({ pids: { limit: 0 } }).controllers, ['pids'], 'the controller is enabled for a 0 limit');
});

test('io: weight → io.weight converted, or io.bfq.weight as is when BFQ is there', () => {
  assert.deepEqual(lines({ blockIO: { weight: 500 } }), ['io.weight=4950']);
  assert.deepEqual(lines({ blockIO: { weight: 10 } }), ['io.weight=1']);
  assert.deepEqual(lines({ blockIO: { weight: 1000 } }), ['io.weight=10000']);
  assert.deepEqual(lines({ blockIO: { weight: 500 } }, files({ 'io.bfq.weight': 'default 100\n' })), ['io.bfq.weight=500']);
  refused({ blockIO: { weight: 5 } }, /^linux\.resources\.blockIO\.weight: 5 is outside the blkio weight range 10-1000$/);
});

test('io: device weights go to a BFQ that shows "default N", and are ignored (listed) elsewhere', () => {
  const weightDevice = [{ major: 8, minor: 0, weight: 300 }, { major: 8, minor: 16, weight: 200 }];
  assert.deepEqual(lines({ blockIO: { weight: 500, weightDevice } }, files({ 'io.bfq.weight': 'default 100\n' })),
    ['io.bfq.weight=500', 'io.bfq.weight=8:0 300', 'io.bfq.weight=8:16 200']);
  const oldBfq = v2Writes({ blockIO: { weightDevice } }, files({ 'io.bfq.weight': '100\n' }));
  assert.deepEqual(oldBfq.writes, []);
  assert.deepEqual(oldBfq.ignored, ['linux.resources.blockIO.weightDevice']);
  assert.deepEqual(v2Writes({ blockIO: { weightDevice } }).ignored, ['linux.resources.blockIO.weightDevice']);
});

test('io: leaf weights cannot be expressed on v2', () => {
  refused({ blockIO: { leafWeight: 300 } }, /^linux\.resources\.blockIO\.leafWeight: cgroup v2 has no leaf weights$/);
  refused({ blockIO: { weightDevice: [{ major: 8, minor: 0, weight: 10, leafWeight: 20 }] } }, /^linux\.resources\.blockIO\.weightDevice\[0\]\.leafWeight: /);
});

test('io: throttles → one io.max line each, rbps, wbps, riops, wiops in that order', () => {
  assert.deepEqual(lines({ blockIO: {
    throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 40 }],
    throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 30 }],
    throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }, { major: 8, minor: 16, rate: 1024 }],
  } }), ['io.max=8:0 rbps=1048576', 'io.max=8:16 rbps=1024', 'io.max=8:0 wbps=2097152', 'io.max=8:0 riops=30', 'io.max=8:0 wiops=40']);
  assert.deepEqual(v2Writes({ blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 }] } }).controllers, ['io']);
});

test('hugetlb: hugetlb.<size>.max, and .rsvd.max where the kernel has it', () => {
  const limits = { hugepageLimits: [{ pageSize: '2MB', limit: 209715200 }, { pageSize: '1GB', limit: 0 }] };
  assert.deepEqual(lines(limits), ['hugetlb.2MB.max=209715200', 'hugetlb.1GB.max=0']);
  assert.deepEqual(lines(limits, files({ 'hugetlb.2MB.rsvd.max': 'max', 'hugetlb.1GB.rsvd.max': 'max' })),
    ['hugetlb.2MB.max=209715200', 'hugetlb.2MB.rsvd.max=209715200', 'hugetlb.1GB.max=0', 'hugetlb.1GB.rsvd.max=0']);
  assert.deepEqual(v2Writes(limits).controllers, ['hugetlb']);
  refused({ hugepageLimits: [{ pageSize: '../2MB', limit: 1 }] }, /^linux\.resources\.hugepageLimits\[0\]\.pageSize: "\.\.\/2MB" is not a huge page size/);
});

test('rdma: one rdma.max line per device', () => {
  assert.deepEqual(lines({ rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 }, mlx4_0: { hcaObjects: 5 } } }),
    ['rdma.max=mlx5_1 hca_handle=3 hca_object=10000', 'rdma.max=mlx4_0 hca_object=5']);
  refused({ rdma: { mlx5_1: {} } }, /^linux\.resources\.rdma\["mlx5_1"\]: needs hcaHandles or hcaObjects$/);
  refused({ rdma: { 'a b': { hcaObjects: 1 } } }, /not an RDMA device name/);
});

test('network: v2 has no net_cls or net_prio', () => {
  refused({ network: { classID: 1048577 } }, /^linux\.resources\.network\.classID: cgroup v2 has no net_cls controller$/);
  refused({ network: { priorities: [{ name: 'eth0', priority: 500 }] } }, /^linux\.resources\.network\.priorities: /);
  assert.deepEqual(lines({ network: { priorities: [] } }), []);
});

test('unified: written as given after everything else; known prefixes enable their controller', () => {
  const out = v2Writes({ memory: { limit: 4096 }, unified: { 'memory.max': '8192', 'io.latency': '8:0 target=10', 'cgroup.max.depth': '3', 'misc.max': 'res_a 1', 'foo.bar': 'x' } });
  assert.deepEqual(out.writes.map((w) => `${w.controller}:${w.file}=${w.value}`),
    ['memory:memory.max=4096', 'memory:memory.max=8192', 'io:io.latency=8:0 target=10', 'cgroup:cgroup.max.depth=3', 'misc:misc.max=res_a 1', 'foo:foo.bar=x']);
  assert.deepEqual(out.controllers, ['io', 'memory', 'misc']);
});

test('unified: keys that are not a file name of the cgroup are refused, naming linux.resources.unified', () => {
  refused({ unified: { '../memory.max': '1' } }, /^linux\.resources\.unified\["\.\.\/memory\.max"\]: unified resource "\.\.\/memory\.max" must be a file name \(no slashes\)$/);
  refused({ unified: { 'sub/memory.max': '1' } }, /^linux\.resources\.unified\["sub\/memory\.max"\]: unified resource "sub\/memory\.max" must be a file name/);
  refused({ unified: { '..': '1' } }, /must be a file name/);
  refused({ unified: { memory: '1' } }, /^linux\.resources\.unified\["memory"\]: unified resource "memory" must be in the form CONTROLLER\.PARAMETER$/);
  refused({ unified: { '.max': '1' } }, /CONTROLLER\.PARAMETER/);
});
