// src/cgroups/devices.ts and v1-resources.ts: linux.resources → cgroup v1 writes. The mapping is
// pure, so most cases compare exact write lists; `current` (what the cgroup holds now) is a plain
// table there. The last tests apply the writes to scratch cgroups of this host's v1 hierarchies and
// read back what the kernel made of them, update orders included.
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Resources } from '../../../src/config/types';
import { detectCgroupHost } from '../../../src/cgroups/host';
import { deviceRules, deviceRuleText, normaliseAccess } from '../../../src/cgroups/devices';
import type { CgroupReader, CgroupWrite } from '../../../src/cgroups/types';
import { v1Writes } from '../../../src/cgroups/v1-resources';
import { TsruncError } from '../../../src/errors';

/** runc 1.1's default rules as devices.list prints them, in runc's order. */
const DEFAULTS = ['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:8 rwm', 'c 1:7 rwm', 'c 5:0 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:2 rwm', 'c 10:200 rwm'];

/** The cgroup as a table of "controller/file" → content; files not in it do not exist. */
const cgroupWith = (files: Record<string, string>): CgroupReader => (c, f) => files[`${c}/${f}`];

/** Writes as "controller/file=value", for compact expectations. */
const flat = (ws: CgroupWrite[]): string[] => ws.map((w) => `${w.controller}/${w.file}=${w.value}`);

/** The writes of one controller only. */
const of = (controller: string, resources: Resources, current?: CgroupReader): string[] =>
  flat(v1Writes(resources, current).filter((w) => w.controller === controller));

const refusal = (re: RegExp) => (e: unknown): boolean => e instanceof TsruncError && re.test(e.message);

describe('device rules', () => {
  test('the config\'s rules normalised, in order, then runc\'s defaults in runc\'s order', () => {
    const rules = deviceRules({
      devices: [
        { allow: false },
        { allow: true, type: 'c', major: 10, minor: 229, access: 'mwr' },
        { allow: true, type: 'b', major: 8, access: 'wwr' },
        { allow: false, type: 'c', minor: 3, access: 'm' },
      ],
    });
    assert.deepEqual(rules.slice(0, 4), [
      { allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' },
      { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' },
      { allow: true, type: 'b', major: 8, minor: -1, access: 'rw' },
      { allow: false, type: 'c', major: -1, minor: 3, access: 'm' },
    ]);
    assert.deepEqual(rules.slice(4).map(deviceRuleText), DEFAULTS);
    assert.ok(rules.slice(4).every((r) => r.allow));
    assert.deepEqual(deviceRules(undefined).map(deviceRuleText), DEFAULTS);
  });

  test('access letters: each once, ordered r, w, m; missing means rwm', () => {
    assert.equal(normaliseAccess('mmwr'), 'rwm');
    assert.equal(normaliseAccess('wm'), 'wm');
    assert.equal(normaliseAccess('r'), 'r');
    assert.equal(normaliseAccess(undefined), 'rwm');
  });

  test('a linux.devices entry at a default path drops that default rule and adds none of its own', () => {
    const texts = deviceRules({ devices: [] }, [{ path: '/dev/null' }, { path: '/dev/fuse' }, { path: '/dev/tty' }]).map(deviceRuleText);
    assert.deepEqual(texts, DEFAULTS.filter((t) => t !== 'c 1:3 rwm' && t !== 'c 5:0 rwm'));
  });

  test('text form: wildcards as *, the type letter first', () => {
    assert.equal(deviceRuleText({ allow: true, type: 'a', major: -1, minor: -1, access: 'rwm' }), 'a *:* rwm');
    assert.equal(deviceRuleText({ allow: false, type: 'b', major: 8, minor: -1, access: 'rw' }), 'b 8:* rw');
    assert.equal(deviceRuleText({ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }), 'c 1:3 rwm');
  });
});

describe('devices writes', () => {
  test('a leading deny-all first, then every rule in the given order, defaults last', () => {
    const ws = of('devices', { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' }, { allow: true, type: 'b', major: 8, minor: 20, access: 'rw' }, { allow: true, type: 'b', major: 10, minor: 200, access: 'r' }] });
    assert.deepEqual(ws, [
      'devices/devices.deny=a *:* rwm',
      'devices/devices.allow=c 10:229 rwm',
      'devices/devices.allow=b 8:20 rw',
      'devices/devices.allow=b 10:200 r',
      ...DEFAULTS.map((t) => `devices/devices.allow=${t}`),
    ]);
  });

  test('without a leading "a" rule, runc\'s starting point (deny everything) is written first', () => {
    assert.deepEqual(of('devices', {}), ['devices/devices.deny=a *:* rwm', ...DEFAULTS.map((t) => `devices/devices.allow=${t}`)]);
    const ws = of('devices', { devices: [{ allow: true, type: 'c', major: 4, minor: 1, access: 'r' }, { allow: false, type: 'c', major: 4, minor: 1, access: 'r' }] });
    assert.deepEqual(ws.slice(0, 3), ['devices/devices.deny=a *:* rwm', 'devices/devices.allow=c 4:1 r', 'devices/devices.deny=c 4:1 r']);
  });

  test('a leading allow-all (privileged) is written as is, with no deny-all before it', () => {
    const ws = of('devices', { devices: [{ allow: true, access: 'rwm' }, { allow: false, type: 'c', major: 4, minor: -1, access: 'w' }] });
    assert.deepEqual(ws.slice(0, 2), ['devices/devices.allow=a *:* rwm', 'devices/devices.deny=c 4:* w']);
    assert.equal(ws.length, 2 + DEFAULTS.length);
  });

  test('update: nothing is written when devices.list already holds exactly these rules', () => {
    const resources: Resources = { devices: [{ allow: false }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' }] };
    const list = ['c 10:229 rwm', ...DEFAULTS].reverse().join('\n') + '\n';
    assert.deepEqual(of('devices', resources, cgroupWith({ 'devices/devices.list': list })), []);
    // one access letter less, an allow-all cgroup (whose deny rules cannot be seen): rewrite all
    const fewer = list.replace('c 10:229 rwm', 'c 10:229 rw');
    assert.equal(of('devices', resources, cgroupWith({ 'devices/devices.list': fewer })).length, 2 + DEFAULTS.length);
    assert.equal(of('devices', resources, cgroupWith({ 'devices/devices.list': 'a *:* rwm\n' })).length, 2 + DEFAULTS.length);
  });

  test('refused: a rule that would have to cut an exception out of a wildcard one', () => {
    assert.throws(() => v1Writes({ devices: [{ allow: false }, { allow: true, type: 'c', major: 1, access: 'rw' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }] }),
      refusal(/^linux\.resources\.devices\[2\]: "c 1:3 w" cannot be denied while "c 1:\* rw" is allowed/));
    // denying a whole wildcard class, then runc's default allow of c 1:3 cannot be honoured either
    assert.throws(() => v1Writes({ devices: [{ allow: true }, { allow: false, type: 'c', access: 'rw' }] }),
      refusal(/the default rule "c 1:3 rwm".*cannot be allowed while "c \*:\* rw" is denied/));
    // the same numbers, or no overlap in access, are fine
    assert.doesNotThrow(() => v1Writes({ devices: [{ allow: false }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }] }));
  });
});

describe('memory writes', () => {
  const fresh = cgroupWith({ 'memory/memory.limit_in_bytes': '9223372036854771712\n', 'memory/memory.memsw.limit_in_bytes': '9223372036854771712\n' });

  test('a fresh cgroup: limit, swap, reservation, OOM killer, swappiness in runc\'s order', () => {
    assert.deepEqual(of('memory', { memory: { limit: 64 << 20, swap: 128 << 20, reservation: 32 << 20, disableOOMKiller: true, swappiness: 0 } }, fresh), [
      'memory/memory.limit_in_bytes=67108864',
      'memory/memory.memsw.limit_in_bytes=134217728',
      'memory/memory.soft_limit_in_bytes=33554432',
      'memory/memory.oom_control=1',
      'memory/memory.swappiness=0',
    ]);
  });

  test('update: the swap total goes first when the limit in force is below it, else the limit', () => {
    const at = (limit: string): CgroupReader => cgroupWith({ 'memory/memory.limit_in_bytes': limit, 'memory/memory.memsw.limit_in_bytes': limit });
    assert.deepEqual(of('memory', { memory: { limit: 200, swap: 400 } }, at('100\n')), ['memory/memory.memsw.limit_in_bytes=400', 'memory/memory.limit_in_bytes=200']);
    assert.deepEqual(of('memory', { memory: { limit: 50, swap: 80 } }, at('100\n')), ['memory/memory.limit_in_bytes=50', 'memory/memory.memsw.limit_in_bytes=80']);
    assert.deepEqual(of('memory', { memory: { limit: 50, swap: 100 } }, at('100\n')), ['memory/memory.limit_in_bytes=50', 'memory/memory.memsw.limit_in_bytes=100']);
    // unlimited swap always first; a limit alone or swap alone is just written
    assert.deepEqual(of('memory', { memory: { limit: 50, swap: -1 } }, at('10\n')), ['memory/memory.memsw.limit_in_bytes=-1', 'memory/memory.limit_in_bytes=50']);
    assert.deepEqual(of('memory', { memory: { limit: 50 } }, at('10\n')), ['memory/memory.limit_in_bytes=50']);
    assert.deepEqual(of('memory', { memory: { swap: 50 } }, at('10\n')), ['memory/memory.memsw.limit_in_bytes=50']);
  });

  test('-1: no memory limit lifts the swap limit too, where swap is accounted', () => {
    assert.deepEqual(of('memory', { memory: { limit: -1 } }, fresh), ['memory/memory.memsw.limit_in_bytes=-1', 'memory/memory.limit_in_bytes=-1']);
    const noSwap = cgroupWith({ 'memory/memory.limit_in_bytes': '100' });
    assert.deepEqual(of('memory', { memory: { limit: -1 } }, noSwap), ['memory/memory.limit_in_bytes=-1']);
    assert.throws(() => v1Writes({ memory: { limit: 100, swap: 200 } }, noSwap), refusal(/^linux\.resources\.memory\.swap: .*memory\.memsw\.limit_in_bytes/));
  });

  test('nothing for 0 (runc\'s unset), kernel memory, useHierarchy, an enabled OOM killer; big values in full', () => {
    assert.deepEqual(of('memory', { memory: { limit: 0, swap: 0, reservation: 0, kernel: 1 << 20, kernelTCP: 1 << 20, useHierarchy: true, disableOOMKiller: false, checkBeforeUpdate: true } }, fresh), []);
    assert.deepEqual(of('memory', { memory: { limit: 2 ** 62 } }, fresh), ['memory/memory.limit_in_bytes=4611686018427387904']);
  });

  test('refused: swappiness above 100', () => {
    assert.throws(() => v1Writes({ memory: { swappiness: 101 } }), refusal(/^linux\.resources\.memory\.swappiness: invalid memory swappiness value: 101 \(valid range is 0-100\)/));
  });
});

describe('cpu and cpuset writes', () => {
  test('a fresh cgroup: shares, period, burst, quota, idle, realtime period then runtime', () => {
    assert.deepEqual(of('cpu', { cpu: { shares: 512, period: 100000, quota: 50000, burst: 10000, idle: 1, realtimePeriod: 1000000, realtimeRuntime: 950000 } }), [
      'cpu/cpu.shares=512',
      'cpu/cpu.cfs_period_us=100000',
      'cpu/cpu.cfs_burst_us=10000',
      'cpu/cpu.cfs_quota_us=50000',
      'cpu/cpu.idle=1',
      'cpu/cpu.rt_period_us=1000000',
      'cpu/cpu.rt_runtime_us=950000',
    ]);
    assert.deepEqual(of('cpu', { cpu: {} }), []);
    assert.deepEqual(of('cpu', { cpu: { shares: 0, quota: 0, period: 0, realtimePeriod: 0, realtimeRuntime: 0 } }), []);
    assert.deepEqual(of('cpu', { cpu: { quota: -1 } }), ['cpu/cpu.cfs_quota_us=-1']);
  });

  test('update: quota before a shorter period when the period first would grant more than either end', () => {
    const now = cgroupWith({ 'cpu/cpu.cfs_period_us': '100000', 'cpu/cpu.cfs_quota_us': '50000', 'cpu/cpu.cfs_burst_us': '0' });
    assert.deepEqual(of('cpu', { cpu: { period: 50000, quota: 25000 } }, now), ['cpu/cpu.cfs_quota_us=25000', 'cpu/cpu.cfs_period_us=50000']);
    assert.deepEqual(of('cpu', { cpu: { period: 200000, quota: 100000 } }, now), ['cpu/cpu.cfs_period_us=200000', 'cpu/cpu.cfs_quota_us=100000']);
    // a burst above the quota in force waits for the new quota
    assert.deepEqual(of('cpu', { cpu: { quota: 80000, burst: 70000 } }, now), ['cpu/cpu.cfs_quota_us=80000', 'cpu/cpu.cfs_burst_us=70000']);
    // and a lower quota waits for the burst to come down first
    const bursting = cgroupWith({ 'cpu/cpu.cfs_period_us': '100000', 'cpu/cpu.cfs_quota_us': '50000', 'cpu/cpu.cfs_burst_us': '40000' });
    assert.deepEqual(of('cpu', { cpu: { quota: 30000, burst: 10000 } }, bursting), ['cpu/cpu.cfs_burst_us=10000', 'cpu/cpu.cfs_quota_us=30000']);
  });

  test('update: realtime runtime before a period shorter than the runtime in force', () => {
    const now = cgroupWith({ 'cpu/cpu.rt_period_us': '1000000', 'cpu/cpu.rt_runtime_us': '500000' });
    assert.deepEqual(of('cpu', { cpu: { realtimePeriod: 400000, realtimeRuntime: 100000 } }, now), ['cpu/cpu.rt_runtime_us=100000', 'cpu/cpu.rt_period_us=400000']);
    assert.deepEqual(of('cpu', { cpu: { realtimePeriod: 2000000, realtimeRuntime: 600000 } }, now), ['cpu/cpu.rt_period_us=2000000', 'cpu/cpu.rt_runtime_us=600000']);
  });

  test('missing knobs: burst left out (as runc 1.2), idle and realtime refused', () => {
    const old = cgroupWith({ 'cpu/cpu.cfs_period_us': '100000', 'cpu/cpu.cfs_quota_us': '-1' });
    assert.deepEqual(of('cpu', { cpu: { quota: 50000, burst: 1000 } }, old), ['cpu/cpu.cfs_quota_us=50000']);
    assert.throws(() => v1Writes({ cpu: { idle: 1 } }, old), refusal(/^linux\.resources\.cpu\.idle: this kernel has no cpu\.idle/));
    assert.throws(() => v1Writes({ cpu: { realtimeRuntime: 1000 } }, old), refusal(/^linux\.resources\.cpu\.realtimeRuntime: .*CONFIG_RT_GROUP_SCHED/));
  });

  test('refused: shares, period and quota the kernel would clamp or reject', () => {
    assert.throws(() => v1Writes({ cpu: { shares: 262145 } }), refusal(/^linux\.resources\.cpu\.shares: the maximum allowed cpu-shares is 262144$/));
    assert.throws(() => v1Writes({ cpu: { shares: 1 } }), refusal(/^linux\.resources\.cpu\.shares: the minimum allowed cpu-shares is 2$/));
    assert.throws(() => v1Writes({ cpu: { period: 999 } }), refusal(/^linux\.resources\.cpu\.period: must be between 1000 and 1000000/));
    assert.throws(() => v1Writes({ cpu: { period: 1000001 } }), refusal(/^linux\.resources\.cpu\.period/));
    assert.throws(() => v1Writes({ cpu: { quota: 999 } }), refusal(/^linux\.resources\.cpu\.quota: must be at least 1000/));
    assert.doesNotThrow(() => v1Writes({ cpu: { shares: 2, period: 1000, quota: 1000 } }));
  });

  test('cpuset: cpus then mems, nothing when empty', () => {
    assert.deepEqual(of('cpuset', { cpu: { cpus: '0-1', mems: '0' } }), ['cpuset/cpuset.cpus=0-1', 'cpuset/cpuset.mems=0']);
    assert.deepEqual(of('cpuset', { cpu: { cpus: '', mems: '' } }), []);
  });
});

describe('pids, blkio, hugetlb, network, rdma writes', () => {
  test('pids: a positive limit as is, 0 as the limit 1 (runc ≥ 1.4), -1 as max, none when absent or null', () => {
    assert.deepEqual(of('pids', { pids: { limit: 32 } }), ['pids/pids.max=32']);
    assert.deepEqual(of('pids', { pids: { limit: 0 } }), ['pids/pids.max=1']);
    assert.deepEqual(of('pids', { pids: { limit: -1 } }), ['pids/pids.max=max']);
    assert.deepEqual(of('pids', { pids: {} }), []);
    assert.deepEqual(of('pids', JSON.parse('{"pids": {"limit": null}}') as Resources), []);
  });

  const blockIO: Resources = {
    blockIO: {
      weight: 300,
      weightDevice: [{ major: 8, minor: 0, weight: 500 }, { major: 8, minor: 16 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 40 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }, { major: 8, minor: 16, rate: 2000 }],
      throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 3000 }],
      throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 30 }],
    },
  };

  test('blkio: CFQ files where blkio.weight exists, throttles in runc\'s order', () => {
    const cfq = cgroupWith({ 'blkio/blkio.weight': '500', 'blkio/blkio.leaf_weight': '500' });
    assert.deepEqual(of('blkio', blockIO, cfq), [
      'blkio/blkio.weight=300',
      'blkio/blkio.weight_device=8:0 500',
      'blkio/blkio.throttle.read_bps_device=8:0 1000',
      'blkio/blkio.throttle.read_bps_device=8:16 2000',
      'blkio/blkio.throttle.write_bps_device=8:0 3000',
      'blkio/blkio.throttle.read_iops_device=8:0 30',
      'blkio/blkio.throttle.write_iops_device=8:0 40',
    ]);
    assert.deepEqual(of('blkio', { blockIO: { leafWeight: 200, weightDevice: [{ major: 8, minor: 0, weight: 10, leafWeight: 20 }] } }, cfq),
      ['blkio/blkio.leaf_weight=200', 'blkio/blkio.weight_device=8:0 10', 'blkio/blkio.leaf_weight_device=8:0 20']);
  });

  test('blkio: BFQ files where only blkio.bfq.weight exists; refused where neither, or no leaf weight', () => {
    const bfq = cgroupWith({ 'blkio/blkio.bfq.weight': '100' });
    assert.deepEqual(of('blkio', blockIO, bfq).slice(0, 2), ['blkio/blkio.bfq.weight=300', 'blkio/blkio.bfq.weight_device=8:0 500']);
    assert.throws(() => v1Writes({ blockIO: { leafWeight: 200 } }, bfq), refusal(/^linux\.resources\.blockIO\.leafWeight: this kernel has no blkio\.leaf_weight/));
    assert.throws(() => v1Writes({ blockIO: { weightDevice: [{ major: 8, minor: 0, weight: 10 }] } }, cgroupWith({})),
      refusal(/^linux\.resources\.blockIO\.weightDevice\[0\]\.weight: this kernel has neither blkio\.weight nor blkio\.bfq\.weight/));
    // throttles alone need no weight file
    assert.deepEqual(of('blkio', { blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 }] } }, cgroupWith({})), ['blkio/blkio.throttle.read_bps_device=8:0 1']);
  });

  test('hugetlb: one file per page size as the config spells it; refused when the host has none', () => {
    const limits: Resources = { hugepageLimits: [{ pageSize: '2MB', limit: 4 << 21 }, { pageSize: '1GB', limit: 0 }] };
    assert.deepEqual(of('hugetlb', limits), ['hugetlb/hugetlb.2MB.limit_in_bytes=8388608', 'hugetlb/hugetlb.1GB.limit_in_bytes=0']);
    assert.throws(() => v1Writes(limits, cgroupWith({ 'hugetlb/hugetlb.2MB.limit_in_bytes': '0' })), refusal(/^linux\.resources\.hugepageLimits\[1\]\.pageSize: .*hugetlb\.1GB\.limit_in_bytes/));
  });

  test('net_cls, net_prio and rdma', () => {
    const ws = flat(v1Writes({ network: { classID: 0x100001, priorities: [{ name: 'eth0', priority: 5 }, { name: 'lo', priority: 2 }] }, rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 }, mlx4_0: { hcaObjects: 7 } } }))
      .filter((w) => !w.startsWith('devices/'));
    assert.deepEqual(ws, [
      'net_cls/net_cls.classid=1048577',
      'net_prio/net_prio.ifpriomap=eth0 5',
      'net_prio/net_prio.ifpriomap=lo 2',
      'rdma/rdma.max=mlx5_1 hca_handle=3 hca_object=10000',
      'rdma/rdma.max=mlx4_0 hca_object=7',
    ]);
    assert.deepEqual(of('net_cls', { network: { classID: 0 } }), []);
  });

  test('unified is refused on v1, as runc does; an empty map is not', () => {
    assert.throws(() => v1Writes({ unified: { 'memory.high': '1G' } }), refusal(/^linux\.resources\.unified: invalid configuration: cannot use unified on cgroup v1$/));
    assert.doesNotThrow(() => v1Writes({ unified: {} }));
  });

  test('controllers in runc\'s order; fields with nothing to write write nothing', () => {
    const ws = v1Writes({
      rdma: { d: { hcaHandles: 1 } }, network: { classID: 1 }, hugepageLimits: [{ pageSize: '2MB', limit: 0 }], blockIO: { weight: 10 },
      pids: { limit: 1 }, cpu: { shares: 2, cpus: '0' }, memory: { limit: 4096 }, devices: [{ allow: false }],
    });
    const order = ws.map((w) => w.controller).filter((c, i, all) => all.indexOf(c) === i);
    assert.deepEqual(order, ['cpuset', 'devices', 'memory', 'cpu', 'pids', 'blkio', 'hugetlb', 'net_cls', 'rdma']);
    assert.deepEqual(flat(v1Writes({ memory: {}, cpu: {}, pids: {}, blockIO: {}, hugepageLimits: [], network: {}, rdma: {} })).filter((w) => !w.startsWith('devices/')), []);
  });
});

// ---- this host's kernel -------------------------------------------------------------------------

const CONTROLLERS = ['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'devices'];

/** Scratch cgroups named tsrunc-test-<random> at the root of each hierarchy, removed afterwards
 * (children first); undefined (and the test skipped) when a hierarchy is missing. */
function scratchCgroups(t: TestContext): Map<string, string> | undefined {
  const host = detectCgroupHost();
  const name = `tsrunc-test-${crypto.randomBytes(4).toString('hex')}`;
  const dirs = new Map<string, string>();
  const made: string[] = [];
  t.after(() => {
    for (const d of made.reverse()) {
      try { fs.rmdirSync(d); } catch (e) { console.error(`could not remove ${d}: ${String(e)}`); }
    }
  });
  for (const c of CONTROLLERS) {
    const h = host.v1.find((x) => x.controllers.includes(c));
    if (!h) { t.skip(`no cgroup v1 hierarchy with ${c} on this host (kind ${host.kind})`); return undefined; }
    const dir = path.join(h.mountPoint, name);
    fs.mkdirSync(dir);
    made.push(dir);
    dirs.set(c, dir);
  }
  return dirs;
}

const readerOf = (dirs: Map<string, string>): CgroupReader => (c, f) => {
  const dir = dirs.get(c);
  if (!dir) return undefined;
  try { return fs.readFileSync(path.join(dir, f), 'utf8'); } catch { return undefined; }
};

/** The driver's job in miniature: each write is one write(2) to the file, in order. */
function apply(dirs: Map<string, string>, writes: CgroupWrite[]): void {
  for (const w of writes) {
    const dir = dirs.get(w.controller);
    assert.ok(dir, `a write for ${w.controller}, which this test has no cgroup for: ${w.file}`);
    try {
      fs.writeFileSync(path.join(dir, w.file), w.value);
    } catch (e) {
      throw new Error(`write ${w.value} to ${w.controller}/${w.file}: ${String(e)}`);
    }
  }
}

describe('on this host\'s cgroup v1 hierarchies', () => {
  const config: Resources = {
    devices: [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' },
      { allow: true, type: 'b', major: 8, minor: 20, access: 'rw' },
      { allow: true, type: 'b', major: 10, minor: 200, access: 'r' },
    ],
    memory: { limit: 64 << 20, swap: 128 << 20, reservation: 32 << 20, swappiness: 10 },
    cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0' },
    pids: { limit: 32 },
    blockIO: { weight: 300 },
  };

  test('a realistic config: what the kernel reports afterwards, devices.list in the config\'s order', (t) => {
    const dirs = scratchCgroups(t);
    if (!dirs) return;
    const read = readerOf(dirs);
    const hasWeight = read('blkio', 'blkio.weight') !== undefined || read('blkio', 'blkio.bfq.weight') !== undefined;
    const resources = hasWeight ? config : { ...config, blockIO: undefined };
    apply(dirs, v1Writes(resources, read));
    const file = (c: string, f: string): string | undefined => read(c, f)?.trim();
    assert.equal(file('memory', 'memory.limit_in_bytes'), String(64 << 20));
    if (file('memory', 'memory.memsw.limit_in_bytes') !== undefined) assert.equal(file('memory', 'memory.memsw.limit_in_bytes'), String(128 << 20));
    assert.equal(file('memory', 'memory.soft_limit_in_bytes'), String(32 << 20));
    assert.equal(file('memory', 'memory.swappiness'), '10');
    assert.equal(file('cpu', 'cpu.shares'), '512');
    assert.equal(file('cpu', 'cpu.cfs_quota_us'), '50000');
    assert.equal(file('cpu', 'cpu.cfs_period_us'), '100000');
    assert.equal(file('cpuset', 'cpuset.cpus'), '0');
    assert.equal(file('cpuset', 'cpuset.mems'), '0');
    assert.equal(file('pids', 'pids.max'), '32');
    assert.deepEqual(file('devices', 'devices.list')?.split('\n'), ['c 10:229 rwm', 'b 8:20 rw', 'b 10:200 r', ...DEFAULTS]);
    if (!hasWeight) {
      t.diagnostic('blkio weight not checked: this kernel has neither blkio.weight nor blkio.bfq.weight');
    } else {
      const weight = file('blkio', 'blkio.weight') ?? file('blkio', 'blkio.bfq.weight');
      assert.match(weight ?? '', /(^|\s)300$/);
    }
    // the same config again (an update that changes nothing) leaves devices.list alone
    assert.deepEqual(v1Writes(resources, read).filter((w) => w.controller === 'devices'), []);
  });

  test('updates raise and lower memory and swap limits in an order the kernel takes', (t) => {
    const dirs = scratchCgroups(t);
    if (!dirs) return;
    const read = readerOf(dirs);
    if (read('memory', 'memory.memsw.limit_in_bytes') === undefined) { t.skip('this kernel does not account swap (no memory.memsw.limit_in_bytes)'); return; }
    const limits = (): [string, string] => [read('memory', 'memory.limit_in_bytes')!.trim(), read('memory', 'memory.memsw.limit_in_bytes')!.trim()];
    apply(dirs, v1Writes({ memory: { limit: 64 << 20, swap: 128 << 20 } }, read));
    assert.deepEqual(limits(), [String(64 << 20), String(128 << 20)]);
    apply(dirs, v1Writes({ memory: { limit: 256 << 20, swap: 512 << 20 } }, read)); // memory first: EINVAL
    assert.deepEqual(limits(), [String(256 << 20), String(512 << 20)]);
    apply(dirs, v1Writes({ memory: { limit: 16 << 20, swap: 32 << 20 } }, read)); // swap first: EINVAL
    assert.deepEqual(limits(), [String(16 << 20), String(32 << 20)]);
    apply(dirs, v1Writes({ memory: { limit: -1 } }, read));
    assert.deepEqual(limits(), ['9223372036854771712', '9223372036854771712']);
  });

  test('an update that shortens the CFS period under a parent\'s quota goes through', (t) => {
    const dirs = scratchCgroups(t);
    if (!dirs) return;
    // the parent caps at half a CPU; the child starts at that cap and moves to the same share
    // with half the period: period first would be 50000/50000, a whole CPU, and EINVAL.
    const parent = dirs.get('cpu')!;
    apply(dirs, [{ controller: 'cpu', file: 'cpu.cfs_quota_us', value: '50000' }]);
    const child = path.join(parent, 'child');
    fs.mkdirSync(child);
    try { // removed here, before the parent
      const childDirs = new Map([['cpu', child]]);
      const read = readerOf(childDirs);
      const cpuOnly = (r: Resources): CgroupWrite[] => v1Writes(r, read).filter((w) => w.controller === 'cpu');
      apply(childDirs, cpuOnly({ cpu: { quota: 50000, period: 100000 } }));
      apply(childDirs, cpuOnly({ cpu: { quota: 25000, period: 50000 } }));
      assert.deepEqual([read('cpu', 'cpu.cfs_quota_us')?.trim(), read('cpu', 'cpu.cfs_period_us')?.trim()], ['25000', '50000']);
    } finally {
      fs.rmdirSync(child);
    }
  });
});
