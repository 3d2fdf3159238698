// src/cgroups/stats*.ts: a container's cgroup statistics in the JSON runc's `events` prints.
// Real v1 cgroups of this host (scratch `tsrunc-test-*` directories under each hierarchy root, with
// processes moved in) and runc 1.1 itself as the reference for the same cgroups; the unified
// hierarchy's hugetlb for real; the v2 files this host cannot produce as the kernel's exact texts.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  emptyStats, encodeStats, eventLine, hugePageSizes, MAX_UINT64, type Stats,
} from '../../../src/cgroups/stats';
import { readOomKillCount, readStatsV1 } from '../../../src/cgroups/stats-v1';
import { readHugetlbV2, readStatsV2 } from '../../../src/cgroups/stats-v2';
import { BUSYBOX, makeBundle } from '../../helpers/rootfs';
import { describeResult, hasRunc, Runtime, sleep, uniqueId } from '../../helpers/runtime';

const V1_ROOT = '/sys/fs/cgroup';
const UNIFIED = '/sys/fs/cgroup/unified';

// ---------------------------------------------------------------------------------------------
// runc's names (types/events.go of runc 1.1), in its order; "?" marks an `omitempty` field.

const RUNC_FIELDS: Record<string, string[]> = {
  '': ['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb', 'intel_rdt', 'network_interfaces'],
  cpu: ['usage', 'throttling'],
  'cpu.usage': ['total?', 'percpu?', 'percpu_kernel?', 'percpu_user?', 'kernel', 'user'],
  'cpu.throttling': ['periods?', 'throttledPeriods?', 'throttledTime?'],
  cpuset: ['cpus?', 'cpu_exclusive', 'mems?', 'mem_hardwall', 'mem_exclusive', 'memory_migrate', 'memory_spread_page',
    'memory_spread_slab', 'memory_pressure', 'sched_load_balance', 'sched_relax_domain_level'],
  memory: ['cache?', 'usage', 'swap', 'kernel', 'kernelTCP', 'raw?'],
  'memory.entry': ['limit', 'usage?', 'max?', 'failcnt'],
  pids: ['current?', 'limit?'],
  blkio: ['ioServiceBytesRecursive?', 'ioServicedRecursive?', 'ioQueueRecursive?', 'ioServiceTimeRecursive?',
    'ioWaitTimeRecursive?', 'ioMergedRecursive?', 'ioTimeRecursive?', 'sectorsRecursive?'],
  'blkio.entry': ['major?', 'minor?', 'op?', 'value?'],
  'hugetlb.entry': ['usage?', 'max?', 'failcnt'],
  intel_rdt: [],
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
/** Parsed stats walked by name (the checks above have vouched for the shape). */
interface Tree { [k: string]: Tree }

/** Keys of one JSON object against runc's list: known, in runc's order, the non-omitempty ones present. */
function checkFields(where: string, obj: Json, fields: string[]): void {
  assert.ok(obj !== null && typeof obj === 'object' && !Array.isArray(obj), `${where} is an object`);
  const names = fields.map((f) => f.replace(/\?$/, ''));
  const keys = Object.keys(obj);
  for (const k of keys) assert.ok(names.includes(k), `${where}: "${k}" is not one of runc's names ${names.join(',')}`);
  assert.deepEqual(keys, names.filter((n) => keys.includes(n)), `${where}: runc's order`);
  for (const f of fields) if (!f.endsWith('?')) assert.ok(keys.includes(f), `${where}: "${f}" is always printed`);
}

/** The whole `data` object of a stats event checked against RUNC_FIELDS. */
function checkRuncNames(data: Json): void {
  const o = data as { [k: string]: { [k: string]: Json } };
  checkFields('data', data, RUNC_FIELDS['']);
  for (const k of ['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'intel_rdt']) checkFields(k, o[k], RUNC_FIELDS[k]);
  checkFields('cpu.usage', o.cpu.usage, RUNC_FIELDS['cpu.usage']);
  checkFields('cpu.throttling', o.cpu.throttling, RUNC_FIELDS['cpu.throttling']);
  for (const k of ['usage', 'swap', 'kernel', 'kernelTCP']) checkFields(`memory.${k}`, o.memory[k], RUNC_FIELDS['memory.entry']);
  for (const [k, list] of Object.entries(o.blkio)) {
    for (const e of list as Json[]) checkFields(`blkio.${k}[]`, e, RUNC_FIELDS['blkio.entry']);
  }
  for (const [k, h] of Object.entries(o.hugetlb)) checkFields(`hugetlb.${k}`, h, RUNC_FIELDS['hugetlb.entry']);
  assert.equal(o.network_interfaces, null);
}

/** JSON with every number kept as its exact text (JSON.parse would round uint64 values). */
function parseExact(text: string): Json {
  return JSON.parse(text.replace(/([:[,])(-?[0-9]+)(?=[,\]}])/g, '$1"$2"')) as Json;
}

// ---------------------------------------------------------------------------------------------
// scratch cgroups and the processes moved into them

interface Scratch {
  /** Controller → the scratch directory in its hierarchy. */
  dirs: Record<string, string>;
  /** A busybox shell that first joins every scratch cgroup, then runs `script`. */
  spawnInside(script: string): ChildProcess;
}

const exited = (c: ChildProcess): Promise<number | null> =>
  c.exitCode !== null || c.signalCode !== null
    ? Promise.resolve(c.exitCode)
    : new Promise((resolve) => c.once('exit', (code) => resolve(code)));

async function removeCgroupDir(dir: string): Promise<void> {
  // A killed task leaves its cgroup a moment after it is reaped.
  for (let i = 0; ; i++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || i > 100) throw e;
      await sleep(20);
    }
  }
}

/** Scratch cgroups `tsrunc-test-*` at the roots of `roots` (controller → hierarchy root), removed after the test. */
function scratchCgroups(t: TestContext, roots: Record<string, string>): Scratch {
  const name = `tsrunc-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const dirs: Record<string, string> = {};
  const children: ChildProcess[] = [];
  t.after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map(exited));
    for (const dir of new Set(Object.values(dirs))) await removeCgroupDir(dir);
  });
  for (const [controller, root] of Object.entries(roots)) {
    const dir = path.join(root, name);
    fs.mkdirSync(dir);
    dirs[controller] = dir;
  }
  return {
    dirs,
    spawnInside(script: string): ChildProcess {
      const join = [...new Set(Object.values(dirs))].map((d) => `echo $$ > ${d}/cgroup.procs || exit 97;`).join(' ');
      const child = spawn(BUSYBOX, ['sh', '-c', `${join} ${script}`], { stdio: 'ignore' });
      children.push(child);
      return child;
    },
  };
}

async function waitForFile(file: string): Promise<void> {
  for (let i = 0; i < 250 && !fs.existsSync(file); i++) await sleep(20);
  assert.ok(fs.existsSync(file), `${file} never appeared`);
}

/** "2MB" → bytes. */
function pageBytes(size: string): number {
  const m = /^([0-9]+)(KB|MB|GB)$/.exec(size);
  assert.ok(m, size);
  return Number(m[1]) * { KB: 1 << 10, MB: 1 << 20, GB: 1 << 30 }[m[2] as 'KB' | 'MB' | 'GB'];
}

/** The first real disk ("MAJ:MIN"), for a blkio throttle rule that makes the kernel list it. */
function diskDevice(): string | undefined {
  let names: string[] = [];
  try { names = fs.readdirSync('/sys/block'); } catch { return undefined; }
  for (const n of names.filter((x) => !/^(loop|ram|zram|nbd)/.test(x)).sort()) {
    try { return fs.readFileSync(`/sys/block/${n}/dev`, 'utf8').trim(); } catch { /* next */ }
  }
  return undefined;
}

/** Waits until the files read the same twice 300 ms apart (a sleeping container's counters). */
async function settled(files: string[]): Promise<void> {
  const snap = (): string => files.map((f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '')).join('\0');
  let last = snap();
  for (let i = 0; i < 30; i++) {
    await sleep(300);
    const now = snap();
    if (now === last) return;
    last = now;
  }
  assert.fail(`the container's counters never settled: ${files.join(', ')}`);
}

const v1Mounted = (c: string): boolean => fs.existsSync(path.join(V1_ROOT, c, 'cgroup.procs'));
const read = (dir: string, file: string): string => fs.readFileSync(path.join(dir, file), 'utf8').trim();

// ---------------------------------------------------------------------------------------------
// real cgroup v1

test('v1 on this host: a busy child and a sleeping one in scratch cgroups', async (t) => {
  const wanted = ['memory', 'cpu', 'cpuacct', 'pids', 'blkio', 'cpuset'];
  const missing = wanted.filter((c) => !v1Mounted(c));
  if (missing.length > 0) return t.skip(`no v1 hierarchy for ${missing.join(', ')} at ${V1_ROOT}`);
  const scratch = scratchCgroups(t, Object.fromEntries(wanted.map((c) => [c, path.join(V1_ROOT, c)])));
  const d = scratch.dirs;
  // Limits before anything moves in, as a runtime sets them.
  fs.writeFileSync(path.join(d.memory, 'memory.limit_in_bytes'), String(64 << 20));
  fs.writeFileSync(path.join(d.pids, 'pids.max'), '10');
  fs.writeFileSync(path.join(d.cpu, 'cpu.cfs_period_us'), '100000');
  fs.writeFileSync(path.join(d.cpu, 'cpu.cfs_quota_us'), '20000');
  fs.writeFileSync(path.join(d.cpuset, 'cpuset.cpus'), '0');
  fs.writeFileSync(path.join(d.cpuset, 'cpuset.mems'), read(path.join(V1_ROOT, 'cpuset'), 'cpuset.mems'));
  const disk = diskDevice();
  if (disk) fs.writeFileSync(path.join(d.blkio, 'blkio.throttle.read_bps_device'), `${disk} 1099511627776`);

  // A busy loop at a 20% quota runs until the kernel has both throttled it and ticked its CPU
  // time. A fixed amount of work is not enough: on a loaded machine a loop may never get more
  // than its quota of a period, and then it is never throttled.
  const busy = scratch.spawnInside('while :; do :; done');
  const ran = (): boolean => /nr_throttled [1-9]/.test(read(d.cpu, 'cpu.stat')) && /throttled_time [1-9]/.test(read(d.cpu, 'cpu.stat'))
    && /^(user|system) [1-9]/m.test(read(d.cpuacct, 'cpuacct.stat'));
  const until = Date.now() + 30_000;
  while (!ran() && Date.now() < until) await sleep(50);
  busy.kill('SIGKILL');
  await exited(busy);
  assert.ok(ran(), `the busy child was throttled and its time counted:\n${read(d.cpu, 'cpu.stat')}\n${read(d.cpuacct, 'cpuacct.stat')}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-stats-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  // Page cache written from inside is charged to the scratch memory cgroup.
  scratch.spawnInside(`${BUSYBOX} dd if=/dev/zero of=${tmp}/f bs=64k count=4 2>/dev/null; : > ${tmp}/ready; exec ${BUSYBOX} sleep 60`);
  await waitForFile(path.join(tmp, 'ready'));

  const s = readStatsV1(d);
  assert.equal(s.pids.current, 1n);
  assert.equal(s.pids.limit, 10n);

  assert.ok(s.memory.usage.usage > 0n, `memory usage ${s.memory.usage.usage}`);
  assert.equal(s.memory.usage.limit, 64n << 20n);
  assert.ok(s.memory.usage.max >= s.memory.usage.usage);
  assert.ok(s.memory.cache > 0n, 'the written file is cache');
  assert.equal(s.memory.cache, s.memory.raw.cache);
  assert.equal(s.memory.raw.hierarchical_memory_limit, 64n << 20n);
  // "No limit" is 9223372036854771712 here, exactly; a JS number would print it rounded.
  assert.equal(s.memory.swap.limit, BigInt(read(d.memory, 'memory.memsw.limit_in_bytes')));
  assert.equal(s.memory.kernel.limit, BigInt(read(d.memory, 'memory.kmem.limit_in_bytes')));

  const u = s.cpu.usage;
  const cpus = read(d.cpuacct, 'cpuacct.usage_percpu').split(/\s+/).length;
  assert.ok(u.total > 0n, 'cpu time was used');
  assert.equal(u.percpu.length, cpus);
  assert.equal(u.percpu_kernel.length, cpus);
  assert.equal(u.percpu_user.length, cpus);
  assert.ok(u.percpu.reduce((a, b) => a + b, 0n) > 0n);
  assert.ok(u.user + u.kernel > 0n, 'cpuacct.stat ticks as nanoseconds');
  assert.equal((u.user + u.kernel) % 10_000_000n, 0n, 'whole 1/100 s ticks');
  const th = s.cpu.throttling;
  assert.ok(th.periods > 0n && th.throttledPeriods > 0n && th.throttledTime > 0n, `throttled: ${th.periods}/${th.throttledPeriods}/${th.throttledTime}`);

  assert.deepEqual(s.cpuset.cpus, [0]);
  assert.deepEqual(s.cpuset.mems, [0]);
  assert.equal(s.cpuset.sched_load_balance, BigInt(read(d.cpuset, 'cpuset.sched_load_balance')));
  assert.equal(s.cpuset.sched_relax_domain_level, BigInt(read(d.cpuset, 'cpuset.sched_relax_domain_level')));

  if (disk) {
    const [major, minor] = disk.split(':').map(BigInt);
    assert.ok(s.blkio.ioServicedRecursive.length > 0, 'the throttled disk is listed');
    assert.ok(s.blkio.ioServicedRecursive.every((e) => e.major === major && e.minor === minor));
    assert.ok(s.blkio.ioServicedRecursive.some((e) => e.op === 'Read'));
  } else t.diagnostic('no disk under /sys/block: blkio lists not checked');
  assert.deepEqual(s.hugetlb, {}, 'no hugetlb directory given');

  // The same as JSON: runc's names; exact integers; everything non-zero here is printed.
  const text = encodeStats(s);
  assert.ok(text.includes(`"swap":{"limit":${read(d.memory, 'memory.memsw.limit_in_bytes')},`), text);
  const data = parseExact(text) as unknown as Tree;
  checkRuncNames(data as unknown as Json);
  assert.deepEqual(Object.keys(data.cpu.usage), ['total', 'percpu', 'percpu_kernel', 'percpu_user', 'kernel', 'user']);
  assert.deepEqual(Object.keys(data.cpu.throttling), ['periods', 'throttledPeriods', 'throttledTime']);
  assert.deepEqual(Object.keys(data.memory), ['cache', 'usage', 'swap', 'kernel', 'kernelTCP', 'raw']);
  assert.deepEqual(data.pids, { current: '1', limit: '10' });
  assert.deepEqual(Object.keys(data.memory.usage), ['limit', 'usage', 'max', 'failcnt']);
});

test('v1 on this host: the memory cgroup counts its OOM kills (memory.oom_control)', async (t) => {
  if (!v1Mounted('memory')) return t.skip(`no v1 memory hierarchy at ${V1_ROOT}`);
  const scratch = scratchCgroups(t, { memory: path.join(V1_ROOT, 'memory') });
  const dir = scratch.dirs.memory;
  fs.writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(16 << 20));
  // Swap would spare it; mem+swap has to be limited as well where the kernel accounts swap.
  if (fs.existsSync(path.join(dir, 'memory.memsw.limit_in_bytes'))) fs.writeFileSync(path.join(dir, 'memory.memsw.limit_in_bytes'), String(16 << 20));
  assert.equal(readOomKillCount(dir, 'v1'), 0);
  // dd fills a 64 MiB buffer.
  const hog = scratch.spawnInside(`exec ${BUSYBOX} dd if=/dev/zero of=/dev/null bs=64M count=1`);
  await exited(hog);
  assert.equal(hog.signalCode, 'SIGKILL', 'the OOM killer took it');
  assert.equal(readOomKillCount(dir, 'v1'), 1);
  const m = readStatsV1({ memory: dir }).memory;
  assert.equal(m.usage.max, 16n << 20n, 'the peak reached the limit');
  assert.equal(m.usage.limit, 16n << 20n);
});

test('runc 1.1 prints the same stats for the same cgroups (runc events --stats)', { timeout: 60_000 }, async (t) => {
  if (!hasRunc()) return t.skip('runc is not installed');
  if (!['memory', 'cpu', 'cpuacct', 'pids', 'cpuset', 'blkio'].every(v1Mounted)) return t.skip('needs the v1 hierarchies');
  const runc = new Runtime('runc');
  const id = uniqueId('stats');
  const cgroupName = `tsrunc-test-${id}`;
  const disk = diskDevice();
  const b = makeBundle({
    args: ['sleep', '60'],
    mutate: (spec) => {
      spec.linux.cgroupsPath = `/${cgroupName}`;
      const blockIO = disk
        ? { throttleReadBpsDevice: [{ major: Number(disk.split(':')[0]), minor: Number(disk.split(':')[1]), rate: 1099511627776 }] }
        : undefined;
      spec.linux.resources = {
        ...spec.linux.resources,
        memory: { limit: 64 << 20 }, pids: { limit: 20 }, cpu: { quota: 50000, period: 100000, cpus: '0' }, ...(blockIO ? { blockIO } : {}),
      };
    },
  });
  t.after(async () => {
    await runc.cleanupAll();
    b.cleanup();
  });
  const run = await runc.exec(['run', '-d', '--bundle', b.dir, id]);
  assert.equal(run.code, 0, describeResult(run));
  // Right after `run -d` the init may still be execing sleep (CPU periods, page-ins): the counters
  // compared below must have settled first, or the two reads differ by what happened in between.
  await settled(['cpu/cpu.stat', 'cpuacct/cpuacct.usage', 'blkio/blkio.throttle.io_serviced_recursive', 'memory/memory.failcnt']
    .map((f) => path.join(V1_ROOT, path.dirname(f), cgroupName, path.basename(f))));
  const ev = await runc.exec(['events', '--stats', id]);
  assert.equal(ev.code, 0, describeResult(ev));
  const ours = readStatsV1(Object.fromEntries(
    ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'blkio', 'devices', 'freezer'].map((c) => [c, path.join(V1_ROOT, c, cgroupName)]),
  ));

  const theirs = JSON.parse(ev.stdout.replace(/([:[,])(-?[0-9]+)(?=[,\]}])/g, '$1"$2"')) as { type: string; id: string; data: Json };
  assert.equal(theirs.type, 'stats');
  const oursLine = eventLine({ type: 'stats', id, data: ours });
  const mine = parseExact(oursLine) as { data: Json };
  // The same fields in the same places: every number blanked, the texts are equal.
  const blank = (s: string): string => s.replace(/([:[,])-?[0-9]+(?=[,\]}])/g, '$1N');
  assert.equal(blank(oursLine), blank(ev.stdout), 'same JSON apart from the numbers');
  checkRuncNames(mine.data);
  // What a sleeping container cannot change between the two reads is equal to the digit.
  const a = theirs.data as { [k: string]: { [k: string]: Json } };
  const m = mine.data as { [k: string]: { [k: string]: Json } };
  assert.deepEqual(m.pids, a.pids);
  assert.deepEqual(m.cpuset, a.cpuset);
  assert.deepEqual(m.cpu.throttling, a.cpu.throttling);
  assert.deepEqual(m.hugetlb, a.hugetlb);
  assert.deepEqual(m.blkio, a.blkio);
  for (const k of ['swap', 'kernel', 'kernelTCP', 'usage']) {
    assert.equal((m.memory[k] as { limit: string }).limit, (a.memory[k] as { limit: string }).limit, `memory.${k}.limit`);
  }
  const rawM = m.memory.raw as { [k: string]: string };
  const rawA = a.memory.raw as { [k: string]: string };
  assert.deepEqual(Object.keys(rawM), Object.keys(rawA));
  assert.equal(rawM.hierarchical_memsw_limit, rawA.hierarchical_memsw_limit);
});

// ---------------------------------------------------------------------------------------------
// real cgroup v2: hugetlb in this host's unified hierarchy

test('v2 on this host: hugetlb of a scratch cgroup in the unified hierarchy', async (t) => {
  const sizes = hugePageSizes();
  if (sizes.length === 0) return t.skip('no huge page sizes in /sys/kernel/mm/hugepages');
  let controllers: string[];
  try {
    controllers = read(UNIFIED, 'cgroup.controllers').split(/\s+/);
  } catch {
    return t.skip(`no cgroup2 hierarchy at ${UNIFIED}`);
  }
  if (!controllers.includes('hugetlb')) return t.skip(`hugetlb is not a controller of ${UNIFIED}`);
  // Children get hugetlb files only when the root hands the controller down. tsrunc's hybrid
  // driver does the same for a container with hugepage limits; it is left on, as other users of
  // the hierarchy may rely on it by now.
  if (!read(UNIFIED, 'cgroup.subtree_control').split(/\s+/).includes('hugetlb')) {
    fs.writeFileSync(path.join(UNIFIED, 'cgroup.subtree_control'), '+hugetlb');
  }
  const scratch = scratchCgroups(t, { unified: UNIFIED });
  const dir = scratch.dirs.unified;
  const first = sizes[0];
  const rsvd = fs.existsSync(path.join(dir, `hugetlb.${first}.rsvd.max`));
  // A limit of 0 makes the next huge page mapping fail, which the kernel counts as a "max" event.
  fs.writeFileSync(path.join(dir, `hugetlb.${first}${rsvd ? '.rsvd' : ''}.max`), '0');
  const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => fs.existsSync(p));
  if (python && rsvd) {
    const script = [
      'import mmap, os',
      `open(${JSON.stringify(path.join(dir, 'cgroup.procs'))}, "w").write(str(os.getpid()))`,
      'try:',
      // MAP_HUGETLB with the page size in the MAP_HUGE_SHIFT bits: the default size otherwise.
      `    mmap.mmap(-1, ${pageBytes(first)}, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | 0x40000 | (${Math.log2(pageBytes(first))} << 26))`,
      'except OSError:',
      '    pass',
    ].join('\n');
    const child = spawn(python, ['-c', script], { stdio: 'ignore' });
    assert.equal(await exited(child), 0);
  } else t.diagnostic('no python3 or no reservation counters: the failcnt of a refused mapping is not checked');

  const s = readStatsV2(dir);
  assert.deepEqual(Object.keys(s.hugetlb).sort(), [...sizes].sort());
  for (const size of sizes) {
    assert.equal(s.hugetlb[size].usage, BigInt(read(dir, `hugetlb.${size}${rsvd ? '.rsvd' : ''}.current`)), `${size} usage`);
    assert.equal(s.hugetlb[size].max, 0n, 'v2 has no peak');
  }
  if (python && rsvd) assert.equal(s.hugetlb[first].failcnt, 1n, 'the refused mapping');
  assert.deepEqual(readHugetlbV2(dir), s.hugetlb);
  // Nothing else is enabled here: the pids come from cgroup.procs, memory and io are left out.
  assert.equal(s.pids.current, 0n);
  assert.deepEqual(s.memory, emptyStats().memory);
  assert.deepEqual(s.blkio, emptyStats().blkio);
  const data = parseExact(encodeStats(s));
  checkRuncNames(data);
  const printed = (data as { hugetlb: Record<string, Record<string, Json>> }).hugetlb[first];
  assert.deepEqual(printed, s.hugetlb[first].usage > 0n ? { usage: String(s.hugetlb[first].usage), failcnt: String(s.hugetlb[first].failcnt) } : { failcnt: String(s.hugetlb[first].failcnt) });
});

// ---------------------------------------------------------------------------------------------
// cgroup v2 files in the kernel's formats (this host has no v2 cpu, memory, io or pids)

function fakeCgroup(t: TestContext, files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-stats-fake-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
  return dir;
}

const V2_MEMORY_STAT = [
  'anon 1495040', 'file 3514368', 'kernel 622592', 'kernel_stack 16384', 'pagetables 40960', 'sec_pagetables 0',
  'percpu 0', 'sock 0', 'vmalloc 0', 'shmem 0', 'zswap 0', 'zswapped 0', 'file_mapped 2838528', 'file_dirty 4096',
  'file_writeback 0', 'swapcached 0', 'anon_thp 0', 'file_thp 0', 'shmem_thp 0', 'inactive_anon 1470464',
  'active_anon 24576', 'inactive_file 2383872', 'active_file 1130496', 'unevictable 0', 'slab_reclaimable 224336',
  'slab_unreclaimable 274336', 'slab 498672', 'workingset_refault_anon 0', 'workingset_refault_file 0',
  'workingset_activate_anon 0', 'workingset_activate_file 0', 'workingset_restore_anon 0', 'workingset_restore_file 0',
  'workingset_nodereclaim 0', 'pgscan 0', 'pgsteal 0', 'pgscan_kswapd 0', 'pgscan_direct 0', 'pgsteal_kswapd 0',
  'pgsteal_direct 0', 'pgfault 3087', 'pgmajfault 22', 'pgrefill 0', 'pgactivate 6', 'pgdeactivate 0', 'pglazyfree 0',
  'pglazyfreed 0', 'zswpin 0', 'zswpout 0', 'thp_fault_alloc 0', 'thp_collapse_alloc 0',
].join('\n') + '\n';

const V2_CONTAINER = {
  'cgroup.procs': '4242\n4250\n',
  'pids.current': '3\n',
  'pids.max': '100\n',
  'cpu.stat': 'usage_usec 48123\nuser_usec 31000\nsystem_usec 17123\ncore_sched.force_idle_usec 0\nnr_periods 17\nnr_throttled 4\nthrottled_usec 91827\nnr_bursts 0\nburst_usec 0\n',
  'memory.stat': V2_MEMORY_STAT,
  'memory.current': '5636096\n',
  'memory.max': '67108864\n',
  'memory.peak': '7340032\n',
  'memory.swap.current': '4096\n',
  'memory.swap.max': '134217728\n',
  'memory.swap.peak': '8192\n',
  'memory.events': 'low 0\nhigh 0\nmax 12\noom 5\noom_kill 2\noom_group_kill 0\n',
  'io.stat': '254:0 rbytes=1781760 wbytes=8192 rios=92 wios=2 dbytes=0 dios=0\n8:16 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=512 dios=1\n',
  'hugetlb.2MB.current': '0\n',
  'hugetlb.2MB.rsvd.current': '4194304\n',
  'hugetlb.2MB.events': 'max 3\n',
  'hugetlb.1GB.current': '0\n',
  'hugetlb.1GB.rsvd.current': '0\n',
  'hugetlb.1GB.events': 'max 0\n',
};
const SIZES = { hugePageSizes: ['2MB', '1GB'] };

test('v2 files: cpu.stat, memory.*, pids.*, io.stat, hugetlb.* and memory.events as runc maps them', (t) => {
  const dir = fakeCgroup(t, V2_CONTAINER);
  const s = readStatsV2(dir, SIZES);
  assert.deepEqual(s.cpu, {
    usage: { total: 48123000n, percpu: [], percpu_kernel: [], percpu_user: [], kernel: 17123000n, user: 31000000n },
    throttling: { periods: 17n, throttledPeriods: 4n, throttledTime: 91827000n },
  });
  assert.deepEqual(s.pids, { current: 3n, limit: 100n });
  assert.equal(s.memory.cache, 3514368n, 'file pages');
  assert.equal(s.memory.raw.pgmajfault, 22n);
  assert.equal(Object.keys(s.memory.raw).length, V2_MEMORY_STAT.trim().split('\n').length);
  assert.deepEqual(s.memory.usage, { limit: 67108864n, usage: 5636096n, max: 7340032n, failcnt: 0n });
  assert.deepEqual(s.memory.swap, { limit: 67108864n + 134217728n, usage: 5636096n + 4096n, max: 0n, failcnt: 0n }, 'memory+swap as v1');
  assert.deepEqual(s.memory.kernel, { limit: 0n, usage: 0n, max: 0n, failcnt: 0n });
  assert.deepEqual(s.blkio.ioServiceBytesRecursive, [
    { major: 254n, minor: 0n, op: 'Read', value: 1781760n }, { major: 254n, minor: 0n, op: 'Write', value: 8192n },
    { major: 8n, minor: 16n, op: 'Read', value: 4096n }, { major: 8n, minor: 16n, op: 'Write', value: 0n },
  ]);
  assert.deepEqual(s.blkio.ioServicedRecursive, [
    { major: 254n, minor: 0n, op: 'Read', value: 92n }, { major: 254n, minor: 0n, op: 'Write', value: 2n },
    { major: 8n, minor: 16n, op: 'Read', value: 1n }, { major: 8n, minor: 16n, op: 'Write', value: 0n },
  ]);
  assert.deepEqual(s.blkio.sectorsRecursive, [], 'discards have no v1 table');
  assert.deepEqual(s.hugetlb, {
    '2MB': { usage: 4194304n, max: 0n, failcnt: 3n }, '1GB': { usage: 0n, max: 0n, failcnt: 0n },
  }, 'reservations counted where the kernel has them; failcnt is the "max" event count');
  assert.equal(readOomKillCount(dir, 'v2'), 2);
  checkRuncNames(parseExact(encodeStats(s)));
  assert.ok(encodeStats(s).includes('"blkio":{"ioServiceBytesRecursive":[{"major":254,"op":"Read","value":1781760},{"major":254,"op":"Write","value":8192},{"major":8,"minor":16,"op":"Read","value":4096},{"major":8,"minor":16,"op":"Write"}]'));
});

test('v2 files: "max" limits, the cgroup.procs fallback, a kernel without swap or rsvd files, the host\'s own cpu.stat', (t) => {
  const dir = fakeCgroup(t, {
    ...V2_CONTAINER,
    'pids.max': 'max\n',
    'memory.max': 'max\n',
    'memory.swap.max': 'max\n',
  });
  fs.rmSync(path.join(dir, 'hugetlb.2MB.rsvd.current'));
  const s = readStatsV2(dir, SIZES);
  assert.equal(s.pids.limit, 0n, 'no pids limit prints as 0');
  assert.equal(s.memory.usage.limit, MAX_UINT64);
  assert.equal(s.memory.swap.limit, MAX_UINT64, 'an unlimited swap stays unlimited');
  assert.ok(encodeStats(s).includes('"usage":{"limit":18446744073709551615,"usage":5636096,"max":7340032,"failcnt":0}'));
  assert.deepEqual(s.hugetlb['2MB'], { usage: 0n, max: 0n, failcnt: 3n }, 'plain .current without reservation files');
  assert.deepEqual(s.hugetlb['1GB'], { usage: 0n, max: 0n, failcnt: 0n }, 'and for every later size');

  // Swap limited, memory not: runc's uint64 sum wraps.
  const wrap = readStatsV2(fakeCgroup(t, { ...V2_CONTAINER, 'memory.max': 'max\n', 'memory.swap.max': '1000\n' }), SIZES);
  assert.equal(wrap.memory.swap.limit, 999n);

  // No pids, memory, io or hugetlb controller: counted members, the rest left out.
  const hostCpuStat = `${read(UNIFIED, 'cpu.stat')}\n`;
  const bare = fakeCgroup(t, { 'cgroup.procs': '1\n2\n3\n', 'cpu.stat': hostCpuStat });
  const b = readStatsV2(bare, SIZES);
  assert.deepEqual(b.pids, { current: 3n, limit: 0n });
  assert.deepEqual({ ...b, cpu: emptyStats().cpu, pids: emptyStats().pids }, emptyStats());
  const usec = /usage_usec ([0-9]+)/.exec(hostCpuStat)?.[1];
  assert.equal(b.cpu.usage.total, BigInt(usec ?? '0') * 1000n, 'the kernel\'s own cpu.stat text');
  assert.equal(encodeStats(b).startsWith('{"cpu":{"usage":{"total":'), true);
});

test('v2 files: a bad file is named, other parts are still read, all failures reported together', (t) => {
  const dir = fakeCgroup(t, {
    ...V2_CONTAINER,
    'memory.stat': 'anon 1495040\nfile\n',
    'io.stat': '254:0 rbytes=12x wbytes=0 rios=0 wios=0 dbytes=0 dios=0\n',
  });
  assert.throws(() => readStatsV2(dir, SIZES), (e: Error) => {
    assert.equal(e.name, 'TsruncError');
    assert.equal(e.message, `error while statting cgroup v2: [unable to parse ${dir}/memory.stat: line "file" is not in key value format `
      + `unable to parse ${dir}/io.stat: parsing "12x": invalid syntax]`);
    return true;
  });
  const cpu = fakeCgroup(t, { ...V2_CONTAINER, 'cpu.stat': 'usage_usec -\n' });
  assert.throws(() => readStatsV2(cpu, SIZES), /unable to parse .*\/cpu\.stat: parsing "-": invalid syntax/);
  // A cgroup that is gone has no cgroup.procs: that is a failure, not an empty result.
  assert.throws(() => readStatsV2(path.join(dir, 'gone'), SIZES), /error while statting cgroup v2: \[open .*\/gone\/cgroup\.procs: no such file or directory\]/);
  assert.throws(() => readOomKillCount(path.join(dir, 'gone'), 'v2'), /open .*\/gone\/memory\.events: no such file or directory/);
  const oom = fakeCgroup(t, { 'memory.events': 'low 0\nhigh 0\nmax 0\noom 1\noom_kill x\n' });
  assert.throws(() => readOomKillCount(oom, 'v2'), /unable to parse .*\/memory\.events: parsing "x": invalid syntax/);
});

// ---------------------------------------------------------------------------------------------
// cgroup v1 files this host does not produce (CFQ/BFQ statistics, hugetlb, odd values)

test('v1 files: blkio from CFQ, BFQ and throttle files in runc\'s order of preference', (t) => {
  const cfq = fakeCgroup(t, {
    'blkio.sectors_recursive': '8:0 6792\n',
    'blkio.io_service_time_recursive': '8:0 Read 100\n8:0 Write 0\n8:0 Sync 0\n8:0 Async 100\n8:0 Total 100\nTotal 100\n',
    'blkio.io_wait_time_recursive': '8:0 Read 7\nTotal 7\n',
    'blkio.io_merged_recursive': '8:0 Read 1\nTotal 1\n',
    'blkio.io_queued_recursive': '8:0 Read 0\n8:0 Write 0\nTotal 0\n',
    'blkio.time_recursive': '8:0 25\n',
    'blkio.io_serviced_recursive': '8:0 Read 124\n8:0 Write 104\n8:0 Sync 104\n8:0 Async 124\n8:0 Total 228\nTotal 228\n',
    'blkio.io_service_bytes_recursive': '8:0 Read 1282048\n8:0 Write 2195456\n8:0 Sync 2195456\n8:0 Async 1282048\n8:0 Total 3477504\nTotal 3477504\n',
    'blkio.throttle.io_serviced_recursive': '8:0 Read 1\nTotal 1\n',
    'blkio.throttle.io_service_bytes_recursive': '8:0 Read 1\nTotal 1\n',
  });
  const b = readStatsV1({ blkio: cfq }).blkio;
  assert.deepEqual(b.sectorsRecursive, [{ major: 8n, minor: 0n, op: '', value: 6792n }]);
  assert.deepEqual(b.ioTimeRecursive, [{ major: 8n, minor: 0n, op: '', value: 25n }]);
  assert.equal(b.ioServiceBytesRecursive.length, 5);
  assert.deepEqual(b.ioServiceBytesRecursive[1], { major: 8n, minor: 0n, op: 'Write', value: 2195456n });
  assert.deepEqual(b.ioQueueRecursive.map((e) => e.op), ['Read', 'Write']);
  assert.deepEqual(b.ioServicedRecursive.at(-1), { major: 8n, minor: 0n, op: 'Total', value: 228n }, 'CFQ wins over throttle');
  const json = encodeStats(readStatsV1({ blkio: cfq }));
  assert.ok(json.includes('"ioQueueRecursive":[{"major":8,"op":"Read"},{"major":8,"op":"Write"}]'), json);
  assert.ok(json.includes('"sectorsRecursive":[{"major":8,"value":6792}]'), json);

  // This host's layout: BFQ without debug files, nothing counted yet ("Total 0"), a throttle rule.
  const host = fakeCgroup(t, {
    'blkio.bfq.io_serviced_recursive': 'Total 0\n',
    'blkio.bfq.io_service_bytes_recursive': 'Total 0\n',
    'blkio.throttle.io_serviced_recursive': '254:0 Read 0\n254:0 Write 0\n254:0 Sync 0\n254:0 Async 0\n254:0 Discard 0\n254:0 Total 0\nTotal 0\n',
    'blkio.throttle.io_service_bytes_recursive': 'Total 0\n',
    'blkio.throttle.io_serviced': '254:0 Read 5\nTotal 5\n',
  });
  const h = readStatsV1({ blkio: host }).blkio;
  assert.equal(h.ioServicedRecursive.length, 6, 'throttle.io_serviced_recursive');
  assert.deepEqual(h.ioServiceBytesRecursive, [], 'an empty second file ends the search, as in runc');

  const bfq = fakeCgroup(t, {
    'blkio.bfq.io_serviced_recursive': '8:16 Read 3\nTotal 3\n',
    'blkio.bfq.io_service_bytes_recursive': '8:16 Read 12288\nTotal 12288\n',
  });
  assert.deepEqual(readStatsV1({ blkio: bfq }).blkio.ioServiceBytesRecursive, [{ major: 8n, minor: 16n, op: 'Read', value: 12288n }]);

  const bad = fakeCgroup(t, { 'blkio.throttle.io_serviced_recursive': '8:0 Read 1\n', 'blkio.throttle.io_service_bytes_recursive': '8:0\n' });
  assert.throws(() => readStatsV1({ blkio: bad }), { name: 'TsruncError', message: `unable to parse ${bad}/blkio.throttle.io_service_bytes_recursive: malformed line: 8:0` });
});

/** A v1 memory directory in the kernel's format; `over` replaces or (undefined) removes files. */
function fakeV1Memory(t: TestContext, over: Record<string, string | undefined> = {}): string {
  const base: Record<string, string | undefined> = {
    'memory.stat': 'cache 12288\nrss 53248\nrss_huge 0\nshmem 0\nmapped_file 0\ndirty 12288\nwriteback 0\nswap 0\npgpgin 381\npgpgout 365\npgfault 652\npgmajfault 0\ninactive_anon 49152\nactive_anon 4096\ninactive_file 0\nactive_file 12288\nunevictable 0\nhierarchical_memory_limit 67108864\nhierarchical_memsw_limit 9223372036854771712\ntotal_cache 12288\ntotal_rss 53248\n',
    'memory.usage_in_bytes': '602112\n', 'memory.max_usage_in_bytes': '1990656\n', 'memory.failcnt': '0\n', 'memory.limit_in_bytes': '67108864\n',
    'memory.memsw.usage_in_bytes': '602112\n', 'memory.memsw.max_usage_in_bytes': '1990656\n', 'memory.memsw.failcnt': '0\n', 'memory.memsw.limit_in_bytes': '9223372036854771712\n',
    'memory.kmem.usage_in_bytes': '528384\n', 'memory.kmem.max_usage_in_bytes': '573440\n', 'memory.kmem.failcnt': '0\n', 'memory.kmem.limit_in_bytes': '9223372036854771712\n',
    'memory.kmem.tcp.usage_in_bytes': '0\n', 'memory.kmem.tcp.max_usage_in_bytes': '0\n', 'memory.kmem.tcp.failcnt': '0\n', 'memory.kmem.tcp.limit_in_bytes': '9223372036854771712\n',
    'memory.use_hierarchy': '1\n',
    'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 3\n',
  };
  const files = { ...base, ...over };
  return fakeCgroup(t, Object.fromEntries(Object.entries(files).filter((e): e is [string, string] => e[1] !== undefined)));
}

test('v1 files: memory entries, optional swap and kmem, negative counters, OOM kills', (t) => {
  const full = readStatsV1({ memory: fakeV1Memory(t) });
  assert.equal(encodeStats(full).match(/"memory":\{.*?"raw"/)?.[0],
    '"memory":{"cache":12288,"usage":{"limit":67108864,"usage":602112,"max":1990656,"failcnt":0},'
    + '"swap":{"limit":9223372036854771712,"usage":602112,"max":1990656,"failcnt":0},'
    + '"kernel":{"limit":9223372036854771712,"usage":528384,"max":573440,"failcnt":0},'
    + '"kernelTCP":{"limit":9223372036854771712,"failcnt":0},"raw"', 'as runc 1.1.5 printed for the same files');
  assert.equal(full.memory.raw.hierarchical_memsw_limit, 9223372036854771712n);

  const noSwap = readStatsV1({ memory: fakeV1Memory(t, {
    'memory.memsw.usage_in_bytes': undefined, 'memory.kmem.limit_in_bytes': undefined, 'memory.stat': 'cache -4096\nrss 1\n',
  }) }).memory;
  assert.deepEqual(noSwap.swap, { limit: 0n, usage: 0n, max: 0n, failcnt: 0n }, 'no swap accounting');
  assert.deepEqual(noSwap.kernel, { limit: 0n, usage: 528384n, max: 573440n, failcnt: 0n }, 'kmem without its limit file (newer kernels)');
  assert.equal(noSwap.cache, 0n, 'a negative counter reads as 0, as runc reads it');

  const noUsage = fakeV1Memory(t, { 'memory.usage_in_bytes': undefined });
  assert.throws(() => readStatsV1({ memory: noUsage }), { message: `open ${noUsage}/memory.usage_in_bytes: no such file or directory` }, 'only swap and kmem are optional');
  const noLimit = fakeV1Memory(t, { 'memory.limit_in_bytes': undefined });
  assert.throws(() => readStatsV1({ memory: noLimit }), { name: 'TsruncError', message: `open ${noLimit}/memory.limit_in_bytes: no such file or directory` });
  const badStat = fakeV1Memory(t, { 'memory.stat': 'cache 1\nrss  2\n' });
  assert.throws(() => readStatsV1({ memory: badStat }), { message: `unable to parse ${badStat}/memory.stat: line "rss  2" is not in key value format` });
  const badValue = fakeV1Memory(t, { 'memory.usage_in_bytes': '12abc\n' });
  assert.throws(() => readStatsV1({ memory: badValue }), { message: `unable to parse ${badValue}/memory.usage_in_bytes: parsing "12abc": invalid syntax` });
  const huge = fakeV1Memory(t, { 'memory.failcnt': '18446744073709551616\n' });
  assert.throws(() => readStatsV1({ memory: huge }), /memory\.failcnt: parsing "18446744073709551616": value out of range/);

  assert.equal(readOomKillCount(fakeV1Memory(t), 'v1'), 3);
  assert.equal(readOomKillCount(fakeV1Memory(t, { 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\n' }), 'v1'), 0, 'kernels before 4.13 have no oom_kill line');
});

test('v1 files: cpuacct, cpuset lists, pids "max", hugetlb with and without reservation files', (t) => {
  const acct = fakeCgroup(t, {
    'cpuacct.stat': 'user 6817\nsystem 7195\n',
    'cpuacct.usage': '44843134252\n',
    'cpuacct.usage_percpu': '17931178570 26491204412 \n',
    'cpuacct.usage_all': 'cpu user system\n0 17931178570 14911955682\n1 26491204412 31968980538\n',
  });
  assert.deepEqual(readStatsV1({ cpuacct: acct }).cpu.usage, {
    total: 44843134252n, percpu: [17931178570n, 26491204412n], percpu_kernel: [14911955682n, 31968980538n],
    percpu_user: [17931178570n, 26491204412n], kernel: 71950000000n, user: 68170000000n,
  });
  fs.writeFileSync(path.join(acct, 'cpuacct.stat'), 'system 7195\nuser 6817\n');
  assert.throws(() => readStatsV1({ cpuacct: acct }), { message: `unable to parse ${acct}/cpuacct.stat: malformed line: system 7195\nuser 6817\n` });

  const cpuset = fakeCgroup(t, { 'cpuset.cpus': '0-2,7,9-10\n', 'cpuset.mems': '0\n', 'cpuset.sched_relax_domain_level': '-1\n' });
  const c = readStatsV1({ cpuset }).cpuset;
  assert.deepEqual([c.cpus, c.mems, c.sched_relax_domain_level, c.cpu_exclusive], [[0, 1, 2, 7, 9, 10], [0], -1n, 0n], 'missing files read as 0');
  fs.writeFileSync(path.join(cpuset, 'cpuset.cpus'), '3-1\n');
  assert.throws(() => readStatsV1({ cpuset }), { message: `unable to parse ${cpuset}/cpuset.cpus: invalid values, min > max` });
  fs.writeFileSync(path.join(cpuset, 'cpuset.cpus'), '\n');
  assert.throws(() => readStatsV1({ cpuset }), { message: `unable to parse ${cpuset}/cpuset.cpus: empty file` });

  const pids = fakeCgroup(t, { 'pids.current': '7\n', 'pids.max': 'max\n' });
  assert.deepEqual(readStatsV1({ pids }).pids, { current: 7n, limit: 0n });
  assert.equal(encodeStats(readStatsV1({ pids })).includes('"pids":{"current":7}'), true, 'no limit is left out');

  const sizes = { hugePageSizes: ['2MB', '1GB'] };
  const rsvd = fakeCgroup(t, {
    'hugetlb.2MB.rsvd.usage_in_bytes': '4194304\n', 'hugetlb.2MB.rsvd.max_usage_in_bytes': '6291456\n', 'hugetlb.2MB.rsvd.failcnt': '1\n',
    'hugetlb.1GB.rsvd.usage_in_bytes': '0\n', 'hugetlb.1GB.rsvd.max_usage_in_bytes': '0\n', 'hugetlb.1GB.rsvd.failcnt': '0\n',
  });
  assert.deepEqual(readStatsV1({ hugetlb: rsvd }, sizes).hugetlb, {
    '2MB': { usage: 4194304n, max: 6291456n, failcnt: 1n }, '1GB': { usage: 0n, max: 0n, failcnt: 0n },
  });
  const plain = fakeCgroup(t, {
    'hugetlb.2MB.usage_in_bytes': '2097152\n', 'hugetlb.2MB.max_usage_in_bytes': '2097152\n', 'hugetlb.2MB.failcnt': '0\n',
    'hugetlb.1GB.usage_in_bytes': '0\n', 'hugetlb.1GB.max_usage_in_bytes': '0\n', 'hugetlb.1GB.failcnt': '0\n',
  });
  assert.deepEqual(readStatsV1({ hugetlb: plain }, sizes).hugetlb['2MB'], { usage: 2097152n, max: 2097152n, failcnt: 0n });
  assert.equal(encodeStats(readStatsV1({ hugetlb: plain }, sizes)).includes('"hugetlb":{"1GB":{"failcnt":0},"2MB":{"usage":2097152,"max":2097152,"failcnt":0}}'), true, 'sorted, zeros left out');
});

test('a controller that is not there is left out, as runc leaves it', (t) => {
  const none = path.join(fakeCgroup(t, {}), 'not-a-cgroup');
  const all = ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb', 'devices', 'freezer'];
  assert.deepEqual(readStatsV1(Object.fromEntries(all.map((c) => [c, none]))), emptyStats());
  assert.deepEqual(readStatsV1({}), emptyStats());
  const onlyCpuStat = fakeCgroup(t, { 'cpu.stat': 'nr_periods 5\nnr_throttled 1\nthrottled_time 3000\nnr_bursts 0\nburst_time 0\nwait_sum 0\n' });
  const s = readStatsV1({ cpu: onlyCpuStat, memory: onlyCpuStat, cpuset: onlyCpuStat, blkio: onlyCpuStat });
  assert.deepEqual(s.cpu.throttling, { periods: 5n, throttledPeriods: 1n, throttledTime: 3000n });
  assert.deepEqual({ ...s, cpu: emptyStats().cpu }, emptyStats(), 'no memory.stat: no memory part; no cpuset files: zeros');
});

// ---------------------------------------------------------------------------------------------
// the JSON itself

test('JSON: runc 1.1\'s names and order, omitempty, exact integers, Go\'s escaping', () => {
  assert.equal(encodeStats(emptyStats()),
    '{"cpu":{"usage":{"kernel":0,"user":0},"throttling":{}},'
    + '"cpuset":{"cpu_exclusive":0,"mem_hardwall":0,"mem_exclusive":0,"memory_migrate":0,"memory_spread_page":0,'
    + '"memory_spread_slab":0,"memory_pressure":0,"sched_load_balance":0,"sched_relax_domain_level":0},'
    + '"memory":{"usage":{"limit":0,"failcnt":0},"swap":{"limit":0,"failcnt":0},"kernel":{"limit":0,"failcnt":0},'
    + '"kernelTCP":{"limit":0,"failcnt":0}},"pids":{},"blkio":{},"hugetlb":{},"intel_rdt":{},"network_interfaces":null}');

  const s: Stats = emptyStats();
  const e = (major: bigint, op: string, value: bigint) => ({ major, minor: 1n, op, value });
  s.cpu.usage = { total: 9n, percpu: [4n, 5n], percpu_kernel: [1n, 2n], percpu_user: [3n, 3n], kernel: 3n, user: 6n };
  s.cpu.throttling = { periods: 1n, throttledPeriods: 2n, throttledTime: 3n };
  Object.assign(s.cpuset, { cpus: [0, 1], mems: [0], cpu_exclusive: 1n, sched_relax_domain_level: -1n });
  s.memory.cache = 1n;
  s.memory.usage = { limit: MAX_UINT64, usage: 2n, max: 3n, failcnt: 4n };
  s.memory.raw = { 'z<>&': 1n, a: MAX_UINT64 };
  s.pids = { current: 1n, limit: 2n };
  s.blkio.ioServiceBytesRecursive = [e(8n, 'Read', 1n)];
  s.blkio.ioServicedRecursive = [e(8n, 'Write', 2n)];
  s.blkio.ioQueueRecursive = [e(8n, 'Sync', 3n)];
  s.blkio.ioServiceTimeRecursive = [e(8n, 'Async', 4n)];
  s.blkio.ioWaitTimeRecursive = [e(8n, 'Total', 5n)];
  s.blkio.ioMergedRecursive = [e(8n, 'Discard', 6n)];
  s.blkio.ioTimeRecursive = [e(0n, '', 0n)];
  s.blkio.sectorsRecursive = [e(8n, '', 8n)];
  s.hugetlb = { '2MB': { usage: 1n, max: 2n, failcnt: 0n } };
  assert.equal(eventLine({ type: 'stats', id: 'c<1>&"\u2028', data: s }),
    '{"type":"stats","id":"c\\u003c1\\u003e\\u0026\\"\\u2028","data":{'
    + '"cpu":{"usage":{"total":9,"percpu":[4,5],"percpu_kernel":[1,2],"percpu_user":[3,3],"kernel":3,"user":6},'
    + '"throttling":{"periods":1,"throttledPeriods":2,"throttledTime":3}},'
    + '"cpuset":{"cpus":[0,1],"cpu_exclusive":1,"mems":[0],"mem_hardwall":0,"mem_exclusive":0,"memory_migrate":0,'
    + '"memory_spread_page":0,"memory_spread_slab":0,"memory_pressure":0,"sched_load_balance":0,"sched_relax_domain_level":-1},'
    + '"memory":{"cache":1,"usage":{"limit":18446744073709551615,"usage":2,"max":3,"failcnt":4},"swap":{"limit":0,"failcnt":0},'
    + '"kernel":{"limit":0,"failcnt":0},"kernelTCP":{"limit":0,"failcnt":0},"raw":{"a":18446744073709551615,"z\\u003c\\u003e\\u0026":1}},'
    + '"pids":{"current":1,"limit":2},'
    + '"blkio":{"ioServiceBytesRecursive":[{"major":8,"minor":1,"op":"Read","value":1}],'
    + '"ioServicedRecursive":[{"major":8,"minor":1,"op":"Write","value":2}],'
    + '"ioQueueRecursive":[{"major":8,"minor":1,"op":"Sync","value":3}],'
    + '"ioServiceTimeRecursive":[{"major":8,"minor":1,"op":"Async","value":4}],'
    + '"ioWaitTimeRecursive":[{"major":8,"minor":1,"op":"Total","value":5}],'
    + '"ioMergedRecursive":[{"major":8,"minor":1,"op":"Discard","value":6}],'
    + '"ioTimeRecursive":[{"minor":1}],"sectorsRecursive":[{"major":8,"minor":1,"value":8}]},'
    + '"hugetlb":{"2MB":{"usage":1,"max":2,"failcnt":0}},"intel_rdt":{},"network_interfaces":null}}\n');
  checkRuncNames(parseExact(encodeStats(s)));
  assert.equal(eventLine({ type: 'oom', id: 'c1' }), '{"type":"oom","id":"c1"}\n', 'no data on an oom event');
});
