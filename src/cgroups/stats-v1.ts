// A container's statistics from its cgroup v1 directories, filled as runc 1.1's fs manager fills
// them (libcontainer/cgroups/fs/*.go GetStats): each controller reads its own hierarchy, a
// controller that is not mounted is left out, and the first unreadable or unparsable file fails
// the whole read, as it fails runc's `events`.
import * as files from '../sys/files';
import {
  emptyStats, hugePageSizes, isMissingFile, malformedLine, MAX_UINT64, parseError, parseKeyValues, parseUintStrict,
  readIntParam, readOptionalStatFile, readStatFile, readUintParam, scanLines, unlessMissing, wrapUint64,
  type BlkioEntry, type Blkio, type MemoryEntry, type Stats, type StatsOptions,
} from './stats';

export { readOomKillCount, type StatsOptions } from './stats';

const exists = (dir: string): boolean => files.exists(dir);

/** "0-2,7" → [0, 1, 2, 7], values being uint16 as in runc. */
function cpusetList(dir: string, file: string): number[] {
  const text = readStatFile(dir, file).trim();
  if (text === '') throw parseError(dir, file, 'empty file');
  const u16 = (s: string): number => {
    const v = parseUintStrict(dir, file, s);
    if (v > 0xffffn) throw parseError(dir, file, `parsing ${JSON.stringify(s)}: value out of range`);
    return Number(v);
  };
  const out: number[] = [];
  for (const item of text.split(',')) {
    const range = item.split('-');
    if (range.length > 2) throw parseError(dir, file, 'extra dash');
    if (range.length === 1) {
      out.push(u16(item));
      continue;
    }
    const [min, max] = [u16(range[0]), u16(range[1])];
    if (min > max) throw parseError(dir, file, 'invalid values, min > max');
    for (let i = min; i <= max; i++) out.push(i);
  }
  return out;
}

// Every cpuset file is optional to runc: a missing one reads as zero.
function cpusetStats(dir: string, s: Stats): void {
  const c = s.cpuset;
  const uint = (file: string): bigint => unlessMissing(() => readUintParam(dir, file), 0n);
  c.cpus = unlessMissing(() => cpusetList(dir, 'cpuset.cpus'), []);
  c.cpu_exclusive = uint('cpuset.cpu_exclusive');
  c.mems = unlessMissing(() => cpusetList(dir, 'cpuset.mems'), []);
  c.mem_hardwall = uint('cpuset.mem_hardwall');
  c.mem_exclusive = uint('cpuset.mem_exclusive');
  c.memory_migrate = uint('cpuset.memory_migrate');
  c.memory_spread_page = uint('cpuset.memory_spread_page');
  c.memory_spread_slab = uint('cpuset.memory_spread_slab');
  c.memory_pressure = uint('cpuset.memory_pressure');
  c.sched_load_balance = uint('cpuset.sched_load_balance');
  c.sched_relax_domain_level = unlessMissing(() => readIntParam(dir, 'cpuset.sched_relax_domain_level'), 0n);
}

/**
 * usage/max_usage/failcnt/limit of memory (name ""), memory.memsw, memory.kmem or
 * memory.kmem.tcp. Swap and kernel accounting are optional in the kernel, so their absence is
 * an all-zero entry; newer kernels dropped memory.kmem.limit_in_bytes alone.
 */
function memoryEntry(dir: string, name: string): MemoryEntry {
  const prefix = name === '' ? 'memory' : `memory.${name}`;
  let usage: bigint;
  try {
    usage = readUintParam(dir, `${prefix}.usage_in_bytes`);
  } catch (e) {
    if (name !== '' && isMissingFile(e)) return { limit: 0n, usage: 0n, max: 0n, failcnt: 0n };
    throw e;
  }
  const max = readUintParam(dir, `${prefix}.max_usage_in_bytes`);
  const failcnt = readUintParam(dir, `${prefix}.failcnt`);
  const limit = name === 'kmem'
    ? unlessMissing(() => readUintParam(dir, `${prefix}.limit_in_bytes`), 0n)
    : readUintParam(dir, `${prefix}.limit_in_bytes`);
  return { limit, usage, max, failcnt };
}

function memoryStats(dir: string, s: Stats): void {
  const text = readOptionalStatFile(dir, 'memory.stat');
  if (text === undefined) return;
  for (const [k, v] of parseKeyValues(dir, 'memory.stat', text)) s.memory.raw[k] = v;
  s.memory.cache = s.memory.raw.cache ?? 0n;
  s.memory.usage = memoryEntry(dir, '');
  s.memory.swap = memoryEntry(dir, 'memsw');
  s.memory.kernel = memoryEntry(dir, 'kmem');
  s.memory.kernelTCP = memoryEntry(dir, 'kmem.tcp');
  // Not printed, but runc fails the read without it, so a broken memory cgroup fails here too.
  readUintParam(dir, 'memory.use_hierarchy');
}

function cpuStats(dir: string, s: Stats): void {
  const text = readOptionalStatFile(dir, 'cpu.stat');
  if (text === undefined) return;
  const t = s.cpu.throttling;
  for (const [k, v] of parseKeyValues(dir, 'cpu.stat', text)) {
    if (k === 'nr_periods') t.periods = v;
    else if (k === 'nr_throttled') t.throttledPeriods = v;
    else if (k === 'throttled_time') t.throttledTime = v;
  }
}

// cpuacct.stat counts USER_HZ ticks; runc assumes 100 per second, as Linux always reports.
const ticksToNs = (ticks: bigint): bigint => wrapUint64(ticks * 1_000_000_000n) / 100n;

function cpuacctStats(dir: string, s: Stats): void {
  if (!exists(dir)) return;
  const statText = readStatFile(dir, 'cpuacct.stat');
  const f = statText.trim().split(/\s+/);
  if (f.length < 4 || f[0] !== 'user' || f[2] !== 'system') throw malformedLine(dir, 'cpuacct.stat', statText);
  const user = ticksToNs(parseUintStrict(dir, 'cpuacct.stat', f[1]));
  const kernel = ticksToNs(parseUintStrict(dir, 'cpuacct.stat', f[3]));
  const total = readUintParam(dir, 'cpuacct.usage');
  const percpu = readStatFile(dir, 'cpuacct.usage_percpu').trim().split(/\s+/).filter(Boolean)
    .map((v) => parseUintStrict(dir, 'cpuacct.usage_percpu', v));
  // "cpu user system" then one line per cpu; older kernels lack the file.
  const percpuKernel: bigint[] = [];
  const percpuUser: bigint[] = [];
  const all = readOptionalStatFile(dir, 'cpuacct.usage_all');
  for (const line of all === undefined ? [] : scanLines(all).slice(1)) {
    const cols = line.split(' ');
    if (cols.length !== 3) continue;
    percpuKernel.push(parseUintStrict(dir, 'cpuacct.usage_all', cols[2]));
    percpuUser.push(parseUintStrict(dir, 'cpuacct.usage_all', cols[1]));
  }
  Object.assign(s.cpu.usage, { total, percpu, percpu_kernel: percpuKernel, percpu_user: percpuUser, kernel, user });
}

function pidsStats(dir: string, s: Stats): void {
  if (!exists(dir)) return;
  const current = readUintParam(dir, 'pids.current');
  const max = readUintParam(dir, 'pids.max');
  // "max" (no limit) is printed as 0, as runc always has.
  s.pids = { current, limit: max === MAX_UINT64 ? 0n : max };
}

/**
 * "8:0 Read 1282048" / "8:0 6792" lines, "Total N" skipped; undefined when the file is missing
 * or lists nothing (runc treats both as "this scheduler's files are not the ones to read").
 */
function blkioEntries(dir: string, file: string): BlkioEntry[] | undefined {
  const text = readOptionalStatFile(dir, file);
  if (text === undefined) return undefined;
  const out: BlkioEntry[] = [];
  for (const line of scanLines(text)) {
    const f = line.split(/[ :]/).filter(Boolean);
    if (f.length < 3) {
      if (f.length === 2 && f[0] === 'Total') continue;
      throw malformedLine(dir, file, line);
    }
    const hasOp = f.length === 4;
    out.push({
      major: parseUintStrict(dir, file, f[0]),
      minor: parseUintStrict(dir, file, f[1]),
      op: hasOp ? f[2] : '',
      value: parseUintStrict(dir, file, f[hasOp ? 3 : 2]),
    });
  }
  return out.length > 0 ? out : undefined;
}

type BlkioField = keyof Blkio;

// Candidate file sets in runc's order: BFQ with debug statistics, plain BFQ, CFQ, the throttle
// layer's recursive counters, its own-cgroup counters. The first set whose first file has
// entries is the one used.
const BLKIO_SOURCES: ReadonlyArray<ReadonlyArray<readonly [string, BlkioField]>> = [
  [
    ['blkio.bfq.sectors_recursive', 'sectorsRecursive'],
    ['blkio.bfq.io_service_time_recursive', 'ioServiceTimeRecursive'],
    ['blkio.bfq.io_wait_time_recursive', 'ioWaitTimeRecursive'],
    ['blkio.bfq.io_merged_recursive', 'ioMergedRecursive'],
    ['blkio.bfq.io_queued_recursive', 'ioQueueRecursive'],
    ['blkio.bfq.time_recursive', 'ioTimeRecursive'],
    ['blkio.bfq.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.bfq.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [
    ['blkio.bfq.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.bfq.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [
    ['blkio.sectors_recursive', 'sectorsRecursive'],
    ['blkio.io_service_time_recursive', 'ioServiceTimeRecursive'],
    ['blkio.io_wait_time_recursive', 'ioWaitTimeRecursive'],
    ['blkio.io_merged_recursive', 'ioMergedRecursive'],
    ['blkio.io_queued_recursive', 'ioQueueRecursive'],
    ['blkio.time_recursive', 'ioTimeRecursive'],
    ['blkio.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [
    ['blkio.throttle.io_serviced_recursive', 'ioServicedRecursive'],
    ['blkio.throttle.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
  ],
  [
    ['blkio.throttle.io_serviced', 'ioServicedRecursive'],
    ['blkio.throttle.io_service_bytes', 'ioServiceBytesRecursive'],
  ],
];

function blkioStats(dir: string, s: Stats): void {
  for (const source of BLKIO_SOURCES) {
    for (const [i, [file, field]] of source.entries()) {
      let entries: BlkioEntry[] | undefined;
      let failure: unknown;
      try {
        entries = blkioEntries(dir, file);
      } catch (e) {
        failure = e;
      }
      if (entries === undefined) {
        // runc moves on to the next set even when the first file is unparsable, and stops
        // (keeping what it has) when a later one lists nothing.
        if (i === 0) break;
        if (failure !== undefined) throw failure;
        return;
      }
      s.blkio[field] = entries;
      if (i === source.length - 1) return;
    }
  }
}

function hugetlbStats(dir: string, s: Stats, sizes: string[]): void {
  if (!exists(dir)) return;
  // Reservation counters where the kernel has them (5.7+), for every size once one lacks them.
  let rsvd = '.rsvd';
  for (const size of sizes) {
    let prefix = `hugetlb.${size}${rsvd}`;
    let usage: bigint;
    try {
      usage = readUintParam(dir, `${prefix}.usage_in_bytes`);
    } catch (e) {
      if (rsvd === '' || !isMissingFile(e)) throw e;
      rsvd = '';
      prefix = `hugetlb.${size}`;
      usage = readUintParam(dir, `${prefix}.usage_in_bytes`);
    }
    const max = readUintParam(dir, `${prefix}.max_usage_in_bytes`);
    const failcnt = readUintParam(dir, `${prefix}.failcnt`);
    s.hugetlb[size] = { usage, max, failcnt };
  }
}

/**
 * Statistics of a container's v1 cgroups. `dirs` maps a controller ("cpu", "cpuacct", "cpuset",
 * "memory", "pids", "blkio", "hugetlb", others ignored) to the container's directory in that
 * controller's hierarchy; a controller without an entry is left out.
 */
export function readStatsV1(dirs: Record<string, string>, opts: StatsOptions = {}): Stats {
  const s = emptyStats();
  const at = (controller: string, read: (dir: string) => void): void => {
    const dir = dirs[controller];
    if (dir) read(dir);
  };
  // runc's controller order, so the same broken file is the one reported.
  at('cpuset', (d) => cpusetStats(d, s));
  at('memory', (d) => memoryStats(d, s));
  at('cpu', (d) => cpuStats(d, s));
  at('cpuacct', (d) => cpuacctStats(d, s));
  at('pids', (d) => pidsStats(d, s));
  at('blkio', (d) => blkioStats(d, s));
  at('hugetlb', (d) => hugetlbStats(d, s, opts.hugePageSizes ?? hugePageSizes()));
  return s;
}

