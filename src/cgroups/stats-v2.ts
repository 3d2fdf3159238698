// A container's statistics from its cgroup2 directory, filled as runc 1.1's fs2 manager fills
// them, in the v1 shapes `events` prints: cpu.stat's microseconds become nanoseconds, io.stat's
// bytes and operations become blkio's ioServiceBytesRecursive/ioServicedRecursive entries, swap
// is reported as memory+swap. A controller whose files are missing (not enabled for this cgroup)
// is left out; every other failure is collected and reported together, as runc does.
import { TsruncError } from '../errors';
import {
  CgroupStatFileError, emptyStats, hugePageSizes, isMissingFile, MAX_UINT64, parseKeyValues, parseUintStrict, readStatFile,
  readUintParam, readValueByKey, scanLines, unlessMissing, wrapUint64,
  type BlkioEntry, type Hugetlb, type MemoryEntry, type Stats, type StatsOptions,
} from './stats';

export { readOomKillCount } from './stats';

function pidsStats(dir: string, s: Stats): void {
  let current: bigint;
  try {
    current = readUintParam(dir, 'pids.current');
  } catch (e) {
    if (!isMissingFile(e)) throw e;
    // No pids controller here: count the members instead (threads in a threaded cgroup, where
    // cgroup.procs cannot be read).
    let members: string;
    try {
      members = readStatFile(dir, 'cgroup.procs');
    } catch (e2) {
      if (!(e2 instanceof CgroupStatFileError && (e2.code === 'ENOTSUP' || e2.code === 'EOPNOTSUPP'))) throw e2;
      members = readStatFile(dir, 'cgroup.threads');
    }
    s.pids = { current: BigInt(members.split('\n').length - 1), limit: 0n };
    return;
  }
  const max = readUintParam(dir, 'pids.max');
  s.pids = { current, limit: max === MAX_UINT64 ? 0n : max };
}

/** memory.* or memory.swap.*: current, max, and peak where the kernel has it (5.19, swap 6.5). */
function memoryEntry(dir: string, prefix: string): MemoryEntry {
  let usage: bigint;
  try {
    usage = readUintParam(dir, `${prefix}.current`);
  } catch (e) {
    // No swap accounting in this kernel (CONFIG_MEMCG_SWAP off or swapaccount=0).
    if (prefix !== 'memory' && isMissingFile(e)) return { limit: 0n, usage: 0n, max: 0n, failcnt: 0n };
    throw e;
  }
  const limit = readUintParam(dir, `${prefix}.max`);
  const max = unlessMissing(() => readUintParam(dir, `${prefix}.peak`), 0n);
  return { limit, usage, max, failcnt: 0n };
}

function memoryStats(dir: string, s: Stats): void {
  const text = readStatFile(dir, 'memory.stat');
  for (const [k, v] of parseKeyValues(dir, 'memory.stat', text)) s.memory.raw[k] = v;
  s.memory.cache = s.memory.raw.file ?? 0n;
  const usage = memoryEntry(dir, 'memory');
  s.memory.usage = usage;
  // v1 counts swap together with memory, and clients expect that: add memory in, except to an
  // unlimited swap; the peak of the sum is unknown, so none is given.
  const swapOnly = memoryEntry(dir, 'memory.swap');
  s.memory.swap = {
    limit: swapOnly.limit === MAX_UINT64 ? MAX_UINT64 : wrapUint64(swapOnly.limit + usage.limit),
    usage: wrapUint64(swapOnly.usage + usage.usage),
    max: 0n,
    failcnt: swapOnly.failcnt,
  };
}

// io.stat keys mapped to v1's tables: bytes as io_service_bytes, operations as io_serviced.
const IO_KEYS: Record<string, readonly ['ioServiceBytesRecursive' | 'ioServicedRecursive', string]> = {
  rbytes: ['ioServiceBytesRecursive', 'Read'],
  wbytes: ['ioServiceBytesRecursive', 'Write'],
  rios: ['ioServicedRecursive', 'Read'],
  wios: ['ioServicedRecursive', 'Write'],
};

function ioStats(dir: string, s: Stats): void {
  const file = 'io.stat';
  const text = readStatFile(dir, file);
  // "MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=.. dbytes=.. dios=..", one line per device; a device
  // listed twice keeps its last line.
  const devices = new Map<string, string[]>();
  for (const line of scanLines(text)) {
    const words = line.split(/\s+/).filter(Boolean);
    if (words.length >= 2) devices.set(words[0], words.slice(1));
  }
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const [device, items] of devices) {
    const mm = device.split(':');
    if (mm.length !== 2) continue;
    const major = parseUintStrict(dir, file, mm[0]);
    const minor = parseUintStrict(dir, file, mm[1]);
    for (const item of items) {
      const kv = item.split('=');
      if (kv.length !== 2) continue;
      // Discards and anything newer have no v1 table: runc skips them.
      const target = Object.hasOwn(IO_KEYS, kv[0]) ? IO_KEYS[kv[0]] : undefined;
      if (!target) continue;
      const entry = { major, minor, op: target[1], value: parseUintStrict(dir, file, kv[1]) };
      (target[0] === 'ioServiceBytesRecursive' ? bytes : ios).push(entry);
    }
  }
  s.blkio.ioServiceBytesRecursive = bytes;
  s.blkio.ioServicedRecursive = ios;
}

function cpuStats(dir: string, s: Stats): void {
  const u = s.cpu.usage;
  const t = s.cpu.throttling;
  const ns = (usec: bigint): bigint => wrapUint64(usec * 1000n);
  for (const [k, v] of parseKeyValues(dir, 'cpu.stat', readStatFile(dir, 'cpu.stat'))) {
    if (k === 'usage_usec') u.total = ns(v);
    else if (k === 'user_usec') u.user = ns(v);
    else if (k === 'system_usec') u.kernel = ns(v);
    else if (k === 'nr_periods') t.periods = v;
    else if (k === 'nr_throttled') t.throttledPeriods = v;
    else if (k === 'throttled_usec') t.throttledTime = ns(v);
  }
}

/**
 * hugetlb.<size>.rsvd.current (reservations included, kernel 5.7+; plain .current before) as the
 * usage and the "max" count of hugetlb.<size>.events (allocations refused by the limit) as
 * failcnt. v2 has no peak. Sizes are filled into `into` one by one, so a failure part-way keeps
 * the sizes read before it, as runc's does.
 */
function hugetlbStats(dir: string, into: Record<string, Hugetlb>, sizes: string[]): void {
  let rsvd = '.rsvd';
  for (const size of sizes) {
    const prefix = `hugetlb.${size}`;
    let usage: bigint;
    try {
      usage = readUintParam(dir, `${prefix}${rsvd}.current`);
    } catch (e) {
      if (rsvd === '' || !isMissingFile(e)) throw e;
      rsvd = '';
      usage = readUintParam(dir, `${prefix}.current`);
    }
    into[size] = { usage, max: 0n, failcnt: readValueByKey(dir, `${prefix}.events`, 'max') };
  }
}

/**
 * Just the hugetlb part of a cgroup2 directory, for a hybrid host whose hugetlb controller lives
 * in the unified hierarchy; {} when the controller is not enabled there.
 */
export function readHugetlbV2(dir: string, opts: StatsOptions = {}): Record<string, Hugetlb> {
  const out: Record<string, Hugetlb> = {};
  try {
    hugetlbStats(dir, out, opts.hugePageSizes ?? hugePageSizes());
  } catch (e) {
    if (!isMissingFile(e)) throw e;
  }
  return out;
}

/** Statistics of the container's cgroup2 directory `dir`. */
export function readStatsV2(dir: string, opts: StatsOptions = {}): Stats {
  const s = emptyStats();
  const failures: string[] = [];
  const part = (read: () => void, missingIsFine = true): void => {
    try {
      read();
    } catch (e) {
      if (missingIsFine && isMissingFile(e)) return;
      if (!(e instanceof TsruncError)) throw e;
      failures.push(e.message);
    }
  };
  // A missing pids.current already falls back to cgroup.procs; a missing cgroup.procs means the
  // cgroup itself is gone, which is a failure.
  part(() => pidsStats(dir, s), false);
  part(() => memoryStats(dir, s));
  part(() => ioStats(dir, s));
  // cpu.stat exists even without the cpu controller (usage only).
  part(() => cpuStats(dir, s));
  part(() => hugetlbStats(dir, s.hugetlb, opts.hugePageSizes ?? hugePageSizes()));
  if (failures.length > 0) throw new TsruncError(`error while statting cgroup v2: [${failures.join(' ')}]`);
  return s;
}
