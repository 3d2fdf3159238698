// What `events` prints for a container's cgroup, in runc 1.1's shapes (runc's types/events.go),
// and the rules for reading cgroup files that the v1 and v2 readers (stats-v1.ts, stats-v2.ts)
// share with runc's fscommon package.
//
// Property names are the JSON names runc prints. Counters are bigint: the kernel's "no limit"
// values (9223372036854771712 on v1, 2^64-1 for v2's "max") do not survive a JS number, and a
// client decoding into uint64 (containerd's go-runc) rejects a rounded 18446744073709552000.
// So the JSON comes from encodeStats/eventLine below, which print exact integers and apply runc's
// `omitempty` tags the way Go's encoding/json does; JSON.stringify cannot take these objects.
import { path } from '../sys/path';
import { readdirNames, readText } from '../sys/files';
import { errnoText, TsruncError } from '../errors';

export const MAX_UINT64 = (1n << 64n) - 1n;

/** Go's uint64 arithmetic wraps; runc's swap limit sum and usec→ns products can. */
export const wrapUint64 = (v: bigint): bigint => BigInt.asUintN(64, v);

export interface CpuUsage {
  /** Nanoseconds, as every field here. */
  total: bigint;
  percpu: bigint[];
  percpu_kernel: bigint[];
  percpu_user: bigint[];
  kernel: bigint;
  user: bigint;
}

export interface Throttling {
  periods: bigint;
  throttledPeriods: bigint;
  throttledTime: bigint;
}

export interface Cpu {
  usage: CpuUsage;
  throttling: Throttling;
}

export interface CpuSet {
  cpus: number[];
  cpu_exclusive: bigint;
  mems: number[];
  mem_hardwall: bigint;
  mem_exclusive: bigint;
  memory_migrate: bigint;
  memory_spread_page: bigint;
  memory_spread_slab: bigint;
  memory_pressure: bigint;
  sched_load_balance: bigint;
  /** The only signed value runc prints (-1 is the kernel's default). */
  sched_relax_domain_level: bigint;
}

export interface MemoryEntry {
  limit: bigint;
  usage: bigint;
  /** Peak usage (max_usage_in_bytes on v1, *.peak on v2). */
  max: bigint;
  failcnt: bigint;
}

export interface Memory {
  cache: bigint;
  usage: MemoryEntry;
  /** Memory plus swap, on v2 too (runc adds them up for v1's sake). */
  swap: MemoryEntry;
  kernel: MemoryEntry;
  kernelTCP: MemoryEntry;
  /** memory.stat as it is. */
  raw: Record<string, bigint>;
}

export interface Pids {
  current: bigint;
  /** 0 when there is no limit ("max"). */
  limit: bigint;
}

export interface BlkioEntry {
  major: bigint;
  minor: bigint;
  /** "Read", "Write", "Sync", "Async", "Discard", "Total", or "" for a file without one. */
  op: string;
  value: bigint;
}

export interface Blkio {
  ioServiceBytesRecursive: BlkioEntry[];
  ioServicedRecursive: BlkioEntry[];
  /** runc's Go field is IoQueuedRecursive; the JSON name really is ioQueueRecursive. */
  ioQueueRecursive: BlkioEntry[];
  ioServiceTimeRecursive: BlkioEntry[];
  ioWaitTimeRecursive: BlkioEntry[];
  ioMergedRecursive: BlkioEntry[];
  ioTimeRecursive: BlkioEntry[];
  sectorsRecursive: BlkioEntry[];
}

export interface Hugetlb {
  usage: bigint;
  /** Peak usage; v1 only (v2 has no such file). */
  max: bigint;
  failcnt: bigint;
}

/** The `data` of a stats event. */
export interface Stats {
  cpu: Cpu;
  cpuset: CpuSet;
  memory: Memory;
  pids: Pids;
  blkio: Blkio;
  /** By page size as runc names it ("2MB", "1GB", "64KB"). */
  hugetlb: Record<string, Hugetlb>;
  /** Intel RDT is not supported: runc prints {} without it. */
  intel_rdt: Record<string, never>;
  /** runc fills this only for its own veth networks, which an OCI config never creates. */
  network_interfaces: null;
}

export type StatsEvent =
  | { type: 'stats'; id: string; data: Stats }
  | { type: 'oom'; id: string };

const emptyMemoryEntry = (): MemoryEntry => ({ limit: 0n, usage: 0n, max: 0n, failcnt: 0n });

/** All zero, as runc's stats before any controller fills its part. */
export function emptyStats(): Stats {
  return {
    cpu: {
      usage: { total: 0n, percpu: [], percpu_kernel: [], percpu_user: [], kernel: 0n, user: 0n },
      throttling: { periods: 0n, throttledPeriods: 0n, throttledTime: 0n },
    },
    cpuset: {
      cpus: [], cpu_exclusive: 0n, mems: [], mem_hardwall: 0n, mem_exclusive: 0n, memory_migrate: 0n,
      memory_spread_page: 0n, memory_spread_slab: 0n, memory_pressure: 0n, sched_load_balance: 0n,
      sched_relax_domain_level: 0n,
    },
    memory: {
      cache: 0n, usage: emptyMemoryEntry(), swap: emptyMemoryEntry(), kernel: emptyMemoryEntry(),
      kernelTCP: emptyMemoryEntry(), raw: {},
    },
    pids: { current: 0n, limit: 0n },
    blkio: {
      ioServiceBytesRecursive: [], ioServicedRecursive: [], ioQueueRecursive: [], ioServiceTimeRecursive: [],
      ioWaitTimeRecursive: [], ioMergedRecursive: [], ioTimeRecursive: [], sectorsRecursive: [],
    },
    hugetlb: {},
    intel_rdt: {},
    network_interfaces: null,
  };
}

// ---------------------------------------------------------------------------------------------
// JSON as Go's encoding/json writes runc's types: struct fields in declaration order, map keys
// sorted, `omitempty` dropping zero numbers, empty strings, lists and maps (never structs: runc
// 1.1's `omitempty` on a struct field has no effect, so "usage":{...} is always there).

type Member = readonly [name: string, json: string | undefined];

/** Go 1.19's string escaping (runc 1.1.x is built with it): HTML-safe, \u00XX for other controls. */
export function goString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd'; // a lone surrogate: invalid UTF-8 to Go, which prints this escape
    else if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029) {
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

const object = (members: readonly Member[]): string =>
  `{${members.filter((m) => m[1] !== undefined).map(([k, v]) => `${goString(k)}:${v}`).join(',')}}`;
const int = (v: bigint): string => v.toString();
const intOmit = (v: bigint): string | undefined => (v === 0n ? undefined : v.toString());
const listOmit = <T>(xs: readonly T[], each: (x: T) => string): string | undefined =>
  xs.length === 0 ? undefined : `[${xs.map(each).join(',')}]`;
/** Go sorts map keys by their UTF-8 bytes. */
const map = <T>(m: Record<string, T>, each: (x: T) => string): string =>
  object(Object.keys(m).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))).map((k) => [k, each(m[k])]));
const mapOmit = <T>(m: Record<string, T>, each: (x: T) => string): string | undefined =>
  Object.keys(m).length === 0 ? undefined : map(m, each);

const memoryEntry = (e: MemoryEntry): string =>
  object([['limit', int(e.limit)], ['usage', intOmit(e.usage)], ['max', intOmit(e.max)], ['failcnt', int(e.failcnt)]]);

const blkioEntry = (e: BlkioEntry): string => object([
  ['major', intOmit(e.major)], ['minor', intOmit(e.minor)], ['op', e.op === '' ? undefined : goString(e.op)], ['value', intOmit(e.value)],
]);

/** The `data` of a stats event, byte for byte as runc 1.1 prints it. */
export function encodeStats(s: Stats): string {
  const u = s.cpu.usage;
  const t = s.cpu.throttling;
  const c = s.cpuset;
  const m = s.memory;
  const b = s.blkio;
  return object([
    ['cpu', object([
      ['usage', object([
        ['total', intOmit(u.total)], ['percpu', listOmit(u.percpu, int)], ['percpu_kernel', listOmit(u.percpu_kernel, int)],
        ['percpu_user', listOmit(u.percpu_user, int)], ['kernel', int(u.kernel)], ['user', int(u.user)],
      ])],
      ['throttling', object([
        ['periods', intOmit(t.periods)], ['throttledPeriods', intOmit(t.throttledPeriods)], ['throttledTime', intOmit(t.throttledTime)],
      ])],
    ])],
    ['cpuset', object([
      ['cpus', listOmit(c.cpus, String)], ['cpu_exclusive', int(c.cpu_exclusive)], ['mems', listOmit(c.mems, String)],
      ['mem_hardwall', int(c.mem_hardwall)], ['mem_exclusive', int(c.mem_exclusive)], ['memory_migrate', int(c.memory_migrate)],
      ['memory_spread_page', int(c.memory_spread_page)], ['memory_spread_slab', int(c.memory_spread_slab)],
      ['memory_pressure', int(c.memory_pressure)], ['sched_load_balance', int(c.sched_load_balance)],
      ['sched_relax_domain_level', int(c.sched_relax_domain_level)],
    ])],
    ['memory', object([
      ['cache', intOmit(m.cache)], ['usage', memoryEntry(m.usage)], ['swap', memoryEntry(m.swap)],
      ['kernel', memoryEntry(m.kernel)], ['kernelTCP', memoryEntry(m.kernelTCP)], ['raw', mapOmit(m.raw, int)],
    ])],
    ['pids', object([['current', intOmit(s.pids.current)], ['limit', intOmit(s.pids.limit)]])],
    ['blkio', object([
      ['ioServiceBytesRecursive', listOmit(b.ioServiceBytesRecursive, blkioEntry)],
      ['ioServicedRecursive', listOmit(b.ioServicedRecursive, blkioEntry)],
      ['ioQueueRecursive', listOmit(b.ioQueueRecursive, blkioEntry)],
      ['ioServiceTimeRecursive', listOmit(b.ioServiceTimeRecursive, blkioEntry)],
      ['ioWaitTimeRecursive', listOmit(b.ioWaitTimeRecursive, blkioEntry)],
      ['ioMergedRecursive', listOmit(b.ioMergedRecursive, blkioEntry)],
      ['ioTimeRecursive', listOmit(b.ioTimeRecursive, blkioEntry)],
      ['sectorsRecursive', listOmit(b.sectorsRecursive, blkioEntry)],
    ])],
    ['hugetlb', map(s.hugetlb, (h) => object([['usage', intOmit(h.usage)], ['max', intOmit(h.max)], ['failcnt', int(h.failcnt)]]))],
    ['intel_rdt', '{}'],
    ['network_interfaces', 'null'],
  ]);
}

/** One line of `events` output, newline included (runc's json.Encoder ends each with one). */
export function eventLine(e: StatsEvent): string {
  return `${object([['type', goString(e.type)], ['id', goString(e.id)], ['data', e.type === 'stats' ? encodeStats(e.data) : undefined]])}\n`;
}

// ---------------------------------------------------------------------------------------------
// Reading cgroup files with runc's rules: which absences are fine is each reader's business, so
// a missing file is its own error class; a bad value names the file ("unable to parse <file>: ...").

/** strerror's words for a failed call ("no such file or directory"), not Node's codes. */
const reason = errnoText;

/** A cgroup file that could not be read; `code` is the errno name ("ENOENT", "EOPNOTSUPP"). */
export class CgroupStatFileError extends TsruncError {
  constructor(message: string, readonly code: string | undefined) {
    super(message);
  }
}

/** The file does not exist: its controller is not there, and a reader may leave its part out. */
export const isMissingFile = (e: unknown): boolean => e instanceof CgroupStatFileError && e.code === 'ENOENT';

export const parseError = (dir: string, file: string, why: string): TsruncError =>
  new TsruncError(`unable to parse ${path.join(dir, file)}: ${why}`);

export const malformedLine = (dir: string, file: string, line: string): TsruncError =>
  parseError(dir, file, `malformed line: ${line}`);

/** The whole file; a CgroupStatFileError (with the errno's name) when it cannot be read. */
export function readStatFile(dir: string, file: string): string {
  const p = path.join(dir, file);
  try {
    return readText(p);
  } catch (e) {
    throw new CgroupStatFileError(`open ${p}: ${reason(e)}`, (e as NodeJS.ErrnoException).code);
  }
}

/** The file's text, or undefined when it does not exist. */
export function readOptionalStatFile(dir: string, file: string): string | undefined {
  return unlessMissing(() => readStatFile(dir, file), undefined);
}

/** Runs `read`; a missing file gives `fallback` instead. */
export function unlessMissing<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch (e) {
    if (isMissingFile(e)) return fallback;
    throw e;
  }
}

/** A Go ParseUint/ParseInt failure's words, or undefined when `s` is an integer in range. */
function badInteger(s: string, signed: boolean): string | undefined {
  if (!(signed ? /^[+-]?[0-9]+$/ : /^[0-9]+$/).test(s)) return `parsing ${JSON.stringify(s)}: invalid syntax`;
  const v = BigInt(s);
  const inRange = signed ? v >= -(1n << 63n) && v < 1n << 63n : v <= MAX_UINT64;
  return inRange ? undefined : `parsing ${JSON.stringify(s)}: value out of range`;
}

/** strconv.ParseUint(s, 10, 64): the kernel's plain counters. */
export function parseUintStrict(dir: string, file: string, s: string): bigint {
  const bad = badInteger(s, false);
  if (bad) throw parseError(dir, file, bad);
  return BigInt(s);
}

/** fscommon.ParseUint: a negative value reads as 0 (memory cgroup counters can go below zero). */
export function parseUint(dir: string, file: string, s: string): bigint {
  if (/^-[0-9]*[1-9][0-9]*$/.test(s)) return 0n;
  return parseUintStrict(dir, file, s);
}

/** A file holding one value; "max" is 2^64-1. */
export function readUintParam(dir: string, file: string): bigint {
  const s = readStatFile(dir, file).trim();
  return s === 'max' ? MAX_UINT64 : parseUint(dir, file, s);
}

/** A file holding one signed value; "max" is 2^63-1. */
export function readIntParam(dir: string, file: string): bigint {
  const s = readStatFile(dir, file).trim();
  if (s === 'max') return (1n << 63n) - 1n;
  const bad = badInteger(s, true);
  if (bad) throw parseError(dir, file, bad);
  return BigInt(s);
}

/** Lines as Go's bufio.Scanner gives them: no final empty line, a trailing \r dropped. */
export function scanLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** "key value" lines (cpu.stat, memory.stat): exactly one space between two words. */
export function parseKeyValues(dir: string, file: string, text: string): Array<[string, bigint]> {
  return scanLines(text).map((line) => {
    const parts = line.split(' ');
    if (parts.length !== 2) throw parseError(dir, file, `line ${JSON.stringify(line)} is not in key value format`);
    return [parts[0], parseUint(dir, file, parts[1])];
  });
}

/** The value of `key` in a "key value" file (memory.events, memory.oom_control); 0 when absent. */
export function readValueByKey(dir: string, file: string, key: string): bigint {
  for (const line of readStatFile(dir, file).split('\n')) {
    const parts = line.split(' ');
    if (parts.length === 2 && parts[0] === key) return parseUint(dir, file, parts[1]);
  }
  return 0n;
}

/**
 * Huge page sizes the kernel offers, named as the hugetlb files name them ("2MB", "1GB"), from
 * /sys/kernel/mm/hugepages/hugepages-<n>kB; none when the directory is unreadable.
 */
export function hugePageSizes(dir = '/sys/kernel/mm/hugepages'): string[] {
  let names: string[];
  try {
    names = readdirNames(dir);
  } catch {
    return [];
  }
  const sizes: string[] = [];
  for (const name of names) {
    const m = /^hugepages-([0-9]+)kB$/.exec(name);
    if (!m) continue;
    const kb = Number(m[1]);
    sizes.push(kb >= 1 << 20 ? `${Math.floor(kb / (1 << 20))}GB` : kb >= 1 << 10 ? `${Math.floor(kb / (1 << 10))}MB` : `${kb}KB`);
  }
  return sizes;
}

export interface StatsOptions {
  /** Page sizes to read hugetlb files for ("2MB"); the kernel's (/sys/kernel/mm/hugepages) by default. */
  hugePageSizes?: string[];
}

/**
 * How many times the kernel's OOM killer has killed a process of this cgroup: the oom_kill line of
 * memory.oom_control (v1 memory directory) or memory.events (v2 directory). `events` polls it and
 * reports {"type":"oom"} when it grows. Throws a CgroupStatFileError (code ENOENT once the cgroup
 * is gone) when the file cannot be read.
 */
export function readOomKillCount(dir: string, kind: 'v1' | 'v2'): number {
  return Number(readValueByKey(dir, kind === 'v1' ? 'memory.oom_control' : 'memory.events', 'oom_kill'));
}
