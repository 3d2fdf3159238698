// linux.resources → the cgroup v1 file writes that enforce it, as runc 1.1's fs driver makes them
// (libcontainer/cgroups/fs/*.go): the same files, values and special cases, in an order the
// kernel accepts. Pure: the driver creates the directories and applies the list in order; where
// the right order or file depends on the cgroup as it is (an update that lowers a limit, a kernel
// without a file), it is read through `current`.
import type { BlockIO, CPU, Device, HugepageLimit, Memory, Network, Pids, Rdma, Resources } from '../config/types';
import { TsruncError } from '../errors';
import { eachOf, isDigits, mapped } from '../text';
import { deviceRules, deviceRuleText, normaliseAccess } from './devices';
import { pidsMaxText } from './pids-limit';
import type { CgroupReader, CgroupWrite, DeviceRule } from './types';

/**
 * Every write linux.resources asks of a v1 host, grouped by controller in runc's order (cpuset,
 * devices, memory, cpu, pids, blkio, hugetlb, net_cls, net_prio, rdma). `current` reads the
 * container's cgroup; without it the cgroup is taken to be a fresh one with every file at the
 * kernel's default, so pass it whenever the directories exist (create after mkdir, and update).
 * `linuxDevices` is linux.devices, which drops some of runc's default device rules (see
 * deviceRules). Throws TsruncError for what v1 cannot express.
 */
export function v1Writes(resources: Resources, current?: CgroupReader, linuxDevices?: readonly Pick<Device, 'path'>[]): CgroupWrite[] {
  if (resources.unified !== undefined && Object.keys(resources.unified).length > 0) {
    // runc's v1 manager refuses the map outright, also on a hybrid host.
    throw new TsruncError('linux.resources.unified: invalid configuration: cannot use unified on cgroup v1');
  }
  const cg = new CurrentCgroup(current);
  return [
    ...cpusetWrites(resources.cpu),
    ...devicesWrites(deviceRules(resources, linuxDevices), resources.devices?.length ?? 0, cg),
    ...memoryWrites(resources.memory, cg),
    ...cpuWrites(resources.cpu, cg),
    ...pidsWrites(resources.pids),
    ...blkioWrites(resources.blockIO, cg),
    ...hugetlbWrites(resources.hugepageLimits, cg),
    ...networkWrites(resources.network),
    ...rdmaWrites(resources.rdma),
  ];
}

/** The container's cgroup as it is now, or a fresh one when nothing can be read. */
class CurrentCgroup {
  constructor(private readonly reader: CgroupReader | undefined) {}

  has(controller: string, file: string): boolean {
    return this.reader === undefined || this.reader(controller, file) !== undefined;
  }

  text(controller: string, file: string): string | undefined {
    return this.reader?.(controller, file)?.trim();
  }

  /** An integer file, or `fresh` (the kernel's default) when it cannot be read or parsed. */
  int(controller: string, file: string, fresh: bigint): bigint {
    const t = this.text(controller, file);
    return t !== undefined && /^-?[0-9]+$/.test(t) ? BigInt(t) : fresh;
  }
}

const write = (controller: string, file: string, value: string): CgroupWrite => ({ controller, file, value });

/** JSON numbers above 2^53 print in exponent form; the kernel wants every digit. */
const int = (n: number | bigint): string => (typeof n === 'bigint' || Number.isSafeInteger(n) ? String(n) : BigInt(n).toString());

function refuse(path: string, why: string): never {
  throw new TsruncError(`${path}: ${why}`);
}

// ---- cpuset -------------------------------------------------------------------------------------

function cpusetWrites(cpu: CPU | undefined): CgroupWrite[] {
  // A fresh cpuset cgroup has empty cpus and mems and no process can join it; filling in the
  // parent's values when the config has none is the driver's job (runc does it at mkdir time).
  const out: CgroupWrite[] = [];
  if (cpu?.cpus) out.push(write('cpuset', 'cpuset.cpus', cpu.cpus));
  if (cpu?.mems) out.push(write('cpuset', 'cpuset.mems', cpu.mems));
  return out;
}

// ---- devices ------------------------------------------------------------------------------------

const DENY_ALL: DeviceRule = { allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' };

/**
 * The rules are written one by one in the order given, not in runc's: runc replays them on an
 * emulator and writes the resulting exceptions sorted by major:minor, so devices.list comes out
 * in its own order. The kernel lists exceptions in the order they were first added, and
 * runtime-tools' conformance check (validation/util/linux_resources_devices.go) expects the
 * config's allow rules in the config's order right after its leading deny-all, with the default
 * rules after them: writing in order gives exactly that and the same final set as runc.
 *
 * runc's emulator starts from "deny everything", so a list that does not begin with an "a" rule
 * (which resets the cgroup anyway) gets a deny-all written first, as runc's transition does.
 */
function devicesWrites(rules: DeviceRule[], configCount: number, cg: CurrentCgroup): CgroupWrite[] {
  const target = emulate(rules, configCount);
  // An update must not cut a running container off its devices, even for an instant, when
  // nothing changes: compare with what the kernel has now (runc writes only the difference).
  const now = cg.text('devices', 'devices.list');
  if (now !== undefined && sameWhitelist(parseDevicesList(now), target)) return [];
  const sequence = rules[0]?.type === 'a' ? rules : [DENY_ALL, ...rules];
  return mapped(sequence, (r) => write('devices', r.allow ? 'devices.allow' : 'devices.deny', deviceRuleText(r)));
}

/** A devices cgroup as the kernel keeps it: a default, and exceptions "c 1:3" → access. */
interface DeviceState { allowAll: boolean; exceptions: Map<string, string> }

const meta = (type: string, major: number, minor: number): string =>
  `${type} ${major === -1 ? '*' : major}:${minor === -1 ? '*' : minor}`;

const minus = (a: string, b: string): string => [...a].filter((c) => !b.includes(c)).join('');

/** Plays the rules as the kernel will, from runc's starting point (deny everything), refusing
 * what v1 would silently get wrong. */
function emulate(rules: DeviceRule[], configCount: number): DeviceState {
  const state: DeviceState = { allowAll: false, exceptions: new Map() };
  eachOf(rules, (rule, i) => {
    if (rule.type === 'a') {
      state.allowAll = rule.allow;
      state.exceptions.clear();
      return;
    }
    const key = meta(rule.type, rule.major, rule.minor);
    // Allowing in a deny-all cgroup (or denying in an allow-all one) adds an exception; the
    // opposite removes access from the exception with exactly these numbers, if any.
    if (rule.allow !== state.allowAll) {
      state.exceptions.set(key, normaliseAccess((state.exceptions.get(key) ?? '') + rule.access));
      return;
    }
    // The kernel ignores a removal that a wider exception still covers ("c 1:3" under "c *:*"):
    // the container would keep the access the config takes away. runc refuses it too.
    for (const wider of [meta(rule.type, -1, rule.minor), meta(rule.type, rule.major, -1), meta(rule.type, -1, -1)]) {
      const has = wider === key ? '' : state.exceptions.get(wider) ?? '';
      if (minus(has, minus(has, rule.access)) !== '') {
        const what = i < configCount ? `linux.resources.devices[${i}]` : `linux.resources.devices: the default rule "${deviceRuleText(rule)}" added after the config's rules`;
        refuse(what, `"${deviceRuleText(rule)}" cannot be ${rule.allow ? 'allowed' : 'denied'} while "${wider} ${has}" is ${rule.allow ? 'denied' : 'allowed'}: cgroup v1 cannot cut an exception out of a wildcard rule`);
      }
    }
    const left = minus(state.exceptions.get(key) ?? '', rule.access);
    if (left === '') state.exceptions.delete(key);
    else state.exceptions.set(key, left);
  });
  return state;
}

/** A devices.list line "TYPE MAJOR:MINOR ACCESS" as [type, major, minor, access] (what
 * `/^([abc]) (\*|[0-9]+):(\*|[0-9]+) ([rwm]+)$/` captures), or undefined. A loop: create reads it. */
export function devicesListEntry(line: string): [string, string, string, string] | undefined {
  const type = line[0];
  if ((type !== 'a' && type !== 'b' && type !== 'c') || line[1] !== ' ') return undefined;
  let at = 2;
  const number = (): string | undefined => {
    const start = at;
    if (line[at] === '*') at++;
    else while (isDigits(line[at] ?? '')) at++;
    return at > start ? line.slice(start, at) : undefined;
  };
  const major = number();
  if (major === undefined || line[at++] !== ':') return undefined;
  const minor = number();
  if (minor === undefined || line[at++] !== ' ') return undefined;
  const access = line.slice(at);
  if (access === '' || !isAccess(access)) return undefined;
  return [type, major, minor, access];
}

function isAccess(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s[i] !== 'r' && s[i] !== 'w' && s[i] !== 'm') return false;
  return true;
}

/** devices.list: "a *:* rwm" alone for an allow-all cgroup (whose deny exceptions it does not
 * show), else one allowed exception a line. undefined if it cannot be read as such. */
function parseDevicesList(text: string): DeviceState | undefined {
  const state: DeviceState = { allowAll: false, exceptions: new Map() };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = devicesListEntry(line.trim());
    if (!m) return undefined;
    if (m[0] === 'a') return { allowAll: true, exceptions: new Map() };
    state.exceptions.set(`${m[0]} ${m[1]}:${m[2]}`, normaliseAccess(m[3]));
  }
  return state;
}

/** Only deny-all cgroups can be compared: an allow-all one hides its deny exceptions. */
function sameWhitelist(now: DeviceState | undefined, target: DeviceState): boolean {
  if (now === undefined || now.allowAll || target.allowAll) return false;
  if (now.exceptions.size !== target.exceptions.size) return false;
  for (const [key, access] of target.exceptions) if (now.exceptions.get(key) !== access) return false;
  return true;
}

// ---- memory -------------------------------------------------------------------------------------

const MEMORY_LIMIT = 'memory.limit_in_bytes';
const MEMSW_LIMIT = 'memory.memsw.limit_in_bytes';
/** What a fresh memory cgroup reports for "no limit" (PAGE_COUNTER_MAX pages, in bytes). */
const UNLIMITED = 0x7ffffffffffff000n;

// runc reads 0 as "not set" for limit, swap and reservation (Go's zero value), so 0 writes nothing.
// kernel and kernelTCP are ignored, as runc 1.1 does (with a warning, the caller's to print): a
// 6.x kernel takes a write to memory.kmem.limit_in_bytes and does nothing with it, and calls
// kmem.tcp deprecated. useHierarchy cannot be switched off any more (writing 0 is EINVAL) and
// checkBeforeUpdate is about cgroup v2's memory.max, so neither has a v1 write.
function memoryWrites(memory: Memory | undefined, cg: CurrentCgroup): CgroupWrite[] {
  if (!memory) return [];
  const out: CgroupWrite[] = [];
  const limit = memory.limit ?? 0;
  let swap = memory.swap ?? 0;
  const swapAccounting = cg.has('memory', MEMSW_LIMIT);
  if (limit === -1 && swap === 0) {
    // "no memory limit" also lifts the swap limit, where the kernel accounts swap at all.
    if (swapAccounting) swap = -1;
  } else if (swap !== 0 && !swapAccounting) {
    refuse('linux.resources.memory.swap', `this kernel does not account swap (no ${MEMSW_LIMIT}; boot it with swapaccount=1)`);
  }
  const memoryWrite = limit !== 0 ? [write('memory', MEMORY_LIMIT, int(limit))] : [];
  const swapWrite = swap !== 0 ? [write('memory', MEMSW_LIMIT, int(swap))] : [];
  // The kernel keeps memory ≤ memory+swap at every step. Raising: the swap total goes first
  // (it must stay at least the limit now in force); lowering: the memory limit first.
  const swapFirst = limit !== 0 && swap !== 0 && (swap === -1 || cg.int('memory', MEMORY_LIMIT, UNLIMITED) < BigInt(swap));
  out.push(...(swapFirst ? [...swapWrite, ...memoryWrite] : [...memoryWrite, ...swapWrite]));

  if (memory.reservation) out.push(write('memory', 'memory.soft_limit_in_bytes', int(memory.reservation)));
  // Only ever switched off, as runc: false leaves the cgroup as it is.
  if (memory.disableOOMKiller === true) out.push(write('memory', 'memory.oom_control', '1'));
  if (memory.swappiness !== undefined && memory.swappiness !== -1) {
    if (memory.swappiness < 0 || memory.swappiness > 100) {
      refuse('linux.resources.memory.swappiness', `invalid memory swappiness value: ${memory.swappiness} (valid range is 0-100)`);
    }
    out.push(write('memory', 'memory.swappiness', int(memory.swappiness)));
  }
  return out;
}

// ---- cpu ----------------------------------------------------------------------------------------

/** The kernel's bounds (MIN_SHARES, MAX_SHARES; the 1 ms..1 s CFS period; a 1 ms least quota). */
const MIN_SHARES = 2;
const MAX_SHARES = 262144;
const MIN_CFS_US = 1000;
const MAX_CFS_PERIOD_US = 1000000;

function cpuWrites(cpu: CPU | undefined, cg: CurrentCgroup): CgroupWrite[] {
  if (!cpu) return [];
  const out: CgroupWrite[] = [];
  if (cpu.shares) {
    // The kernel clamps rather than refuses; runc reads the value back and reports it so.
    if (cpu.shares > MAX_SHARES) refuse('linux.resources.cpu.shares', `the maximum allowed cpu-shares is ${MAX_SHARES}`);
    if (cpu.shares < MIN_SHARES) refuse('linux.resources.cpu.shares', `the minimum allowed cpu-shares is ${MIN_SHARES}`);
    out.push(write('cpu', 'cpu.shares', int(cpu.shares)));
  }
  out.push(...cfsWrites(cpu, cg));
  if (cpu.idle !== undefined) {
    if (!cg.has('cpu', 'cpu.idle')) refuse('linux.resources.cpu.idle', 'this kernel has no cpu.idle (added in Linux 5.15)');
    out.push(write('cpu', 'cpu.idle', int(cpu.idle)));
  }
  // runc also writes these before the container's process joins (a realtime task cannot join a
  // cgroup without realtime runtime); the driver does the same with these writes.
  out.push(...realtimeWrites(cpu, cg));
  return out;
}

type Step<K extends string> = { key: K; value: bigint };

/**
 * Picks the first order, among those runc ends up using (it writes period and burst first and
 * retries after quota when the kernel says EINVAL), in which no intermediate state is refused:
 * `valid` sees the state after each write. Falls back to runc's first choice.
 */
function ordered<K extends string>(steps: Step<K>[], preferences: K[][], start: Record<K, bigint>, valid: (s: Record<K, bigint>) => boolean): Step<K>[] {
  for (const keys of preferences) {
    const order = keys.map((k) => steps.find((s) => s.key === k)).filter((s): s is Step<K> => s !== undefined);
    const state = { ...start };
    if (order.every((s) => { state[s.key] = s.value; return valid(state); })) return order;
  }
  return preferences[0].map((k) => steps.find((s) => s.key === k)).filter((s): s is Step<K> => s !== undefined);
}

/** quota/period of each state as a fraction; a negative quota is unlimited. */
const share = (quota: bigint, period: bigint): [bigint, bigint] => (quota < 0n ? [1n, 0n] : [quota, period]);
const atMost = ([a, b]: [bigint, bigint], [c, d]: [bigint, bigint]): boolean => (d === 0n ? true : b === 0n ? false : a * d <= c * b);
const larger = (x: [bigint, bigint], y: [bigint, bigint]): [bigint, bigint] => (atMost(x, y) ? y : x);

function cfsWrites(cpu: CPU, cg: CurrentCgroup): CgroupWrite[] {
  type K = 'period' | 'quota' | 'burst';
  const steps: Step<K>[] = [];
  if (cpu.period) {
    if (cpu.period < MIN_CFS_US || cpu.period > MAX_CFS_PERIOD_US) {
      refuse('linux.resources.cpu.period', `must be between ${MIN_CFS_US} and ${MAX_CFS_PERIOD_US} microseconds on cgroup v1 (got ${int(cpu.period)})`);
    }
    steps.push({ key: 'period', value: BigInt(cpu.period) });
  }
  // The knob came with Linux 5.14; without it runc 1.2 leaves burst out (1.1 ignores the field).
  if (cpu.burst !== undefined && cg.has('cpu', 'cpu.cfs_burst_us')) steps.push({ key: 'burst', value: BigInt(cpu.burst) });
  if (cpu.quota) {
    if (cpu.quota > 0 && cpu.quota < MIN_CFS_US) {
      refuse('linux.resources.cpu.quota', `must be at least ${MIN_CFS_US} microseconds, or negative for no limit (got ${int(cpu.quota)})`);
    }
    steps.push({ key: 'quota', value: BigInt(cpu.quota) });
  }
  if (steps.length === 0) return [];
  const start: Record<K, bigint> = {
    period: cg.int('cpu', 'cpu.cfs_period_us', 100000n),
    quota: cg.int('cpu', 'cpu.cfs_quota_us', -1n),
    burst: cg.int('cpu', 'cpu.cfs_burst_us', 0n),
  };
  const end = { ...start };
  for (const s of steps) end[s.key] = s.value;
  // A parent's quota caps its child's quota/period; the start and end states fit under it, so an
  // intermediate state that grants no more than the larger of the two fits too. Burst may never
  // exceed a quota in force.
  const bound = larger(share(start.quota, start.period), share(end.quota, end.period));
  const valid = (s: Record<K, bigint>): boolean => (s.quota < 0n || s.burst <= s.quota) && atMost(share(s.quota, s.period), bound);
  const files: Record<K, string> = { period: 'cpu.cfs_period_us', quota: 'cpu.cfs_quota_us', burst: 'cpu.cfs_burst_us' };
  return ordered(steps, [['period', 'burst', 'quota'], ['burst', 'quota', 'period'], ['period', 'quota', 'burst'], ['quota', 'period', 'burst']], start, valid)
    .map((s) => write('cpu', files[s.key], int(s.value)));
}

function realtimeWrites(cpu: CPU, cg: CurrentCgroup): CgroupWrite[] {
  type K = 'period' | 'runtime';
  const steps: Step<K>[] = [];
  if (cpu.realtimePeriod) steps.push({ key: 'period', value: BigInt(cpu.realtimePeriod) });
  if (cpu.realtimeRuntime) steps.push({ key: 'runtime', value: BigInt(cpu.realtimeRuntime) });
  if (steps.length === 0) return [];
  if (!cg.has('cpu', 'cpu.rt_period_us')) {
    refuse(cpu.realtimePeriod ? 'linux.resources.cpu.realtimePeriod' : 'linux.resources.cpu.realtimeRuntime', 'this kernel has no cpu.rt_period_us and cpu.rt_runtime_us (built without CONFIG_RT_GROUP_SCHED)');
  }
  const start: Record<K, bigint> = { period: cg.int('cpu', 'cpu.rt_period_us', 1000000n), runtime: cg.int('cpu', 'cpu.rt_runtime_us', 0n) };
  const end = { ...start };
  for (const s of steps) end[s.key] = s.value;
  // The cgroup's share of realtime must stay under its parent's, as for CFS; a state within the
  // bound also keeps the runtime within the period, since neither end exceeds a share of 1.
  const bound = larger(share(start.runtime, start.period), share(end.runtime, end.period));
  const valid = (s: Record<K, bigint>): boolean => atMost(share(s.runtime, s.period), bound);
  const files: Record<K, string> = { period: 'cpu.rt_period_us', runtime: 'cpu.rt_runtime_us' };
  return ordered(steps, [['period', 'runtime'], ['runtime', 'period']], start, valid).map((s) => write('cpu', files[s.key], int(s.value)));
}

// ---- pids ---------------------------------------------------------------------------------------

function pidsWrites(pids: Pids | undefined): CgroupWrite[] {
  const max = pidsMaxText(pids);
  return max === undefined ? [] : [write('pids', 'pids.max', max)];
}

// ---- blkio --------------------------------------------------------------------------------------

type ThrottleField = 'throttleReadBpsDevice' | 'throttleWriteBpsDevice' | 'throttleReadIOPSDevice' | 'throttleWriteIOPSDevice';

function blkioWrites(io: BlockIO | undefined, cg: CurrentCgroup): CgroupWrite[] {
  if (!io) return [];
  const out: CgroupWrite[] = [];
  // CFQ's blkio.weight went with the legacy block layer (Linux 5.0); BFQ offers blkio.bfq.weight
  // instead. runc writes to whichever exists, the legacy one first.
  const legacy = cg.has('blkio', 'blkio.weight');
  const weightFile = legacy ? 'blkio.weight' : 'blkio.bfq.weight';
  const weightDeviceFile = legacy ? 'blkio.weight_device' : 'blkio.bfq.weight_device';
  const needWeight = (path: string): void => {
    if (!cg.has('blkio', weightFile)) refuse(path, 'this kernel has neither blkio.weight nor blkio.bfq.weight (no CFQ or BFQ I/O scheduler)');
  };
  const needLeaf = (path: string): void => {
    if (!cg.has('blkio', 'blkio.leaf_weight')) refuse(path, 'this kernel has no blkio.leaf_weight (a CFQ knob, gone since Linux 5.0)');
  };
  if (io.weight) {
    needWeight('linux.resources.blockIO.weight');
    out.push(write('blkio', weightFile, int(io.weight)));
  }
  if (io.leafWeight) {
    needLeaf('linux.resources.blockIO.leafWeight');
    out.push(write('blkio', 'blkio.leaf_weight', int(io.leafWeight)));
  }
  eachOf(io.weightDevice ?? [], (d, i) => {
    if (d.weight) {
      needWeight(`linux.resources.blockIO.weightDevice[${i}].weight`);
      out.push(write('blkio', weightDeviceFile, `${d.major}:${d.minor} ${int(d.weight)}`));
    }
    if (d.leafWeight) {
      needLeaf(`linux.resources.blockIO.weightDevice[${i}].leafWeight`);
      out.push(write('blkio', 'blkio.leaf_weight_device', `${d.major}:${d.minor} ${int(d.leafWeight)}`));
    }
  });
  const throttles: [ThrottleField, string][] = [
    ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
    ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
    ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
    ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
  ];
  for (const [field, file] of throttles) {
    for (const d of io[field] ?? []) {
      out.push(write('blkio', file, `${d.major}:${d.minor} ${int(d.rate)}`));
    }
  }
  return out;
}

// ---- hugetlb, net_cls, net_prio, rdma -----------------------------------------------------------

function hugetlbWrites(limits: HugepageLimit[] | undefined, cg: CurrentCgroup): CgroupWrite[] {
  // The page size goes into the file name as the config spells it ("2MB", "1GB"), as runc does;
  // the kernel names its files so, and any other spelling names no file.
  return mapped(limits ?? [], (l, i) => {
    const file = `hugetlb.${l.pageSize}.limit_in_bytes`;
    if (!cg.has('hugetlb', file)) refuse(`linux.resources.hugepageLimits[${i}].pageSize`, `the v1 hugetlb cgroup has no ${file} (no hugetlb hierarchy, or no ${l.pageSize} pages on this host)`);
    return write('hugetlb', file, int(l.limit));
  });
}

function networkWrites(network: Network | undefined): CgroupWrite[] {
  const out: CgroupWrite[] = [];
  if (network?.classID) out.push(write('net_cls', 'net_cls.classid', int(network.classID)));
  for (const p of network?.priorities ?? []) out.push(write('net_prio', 'net_prio.ifpriomap', `${p.name} ${int(p.priority)}`));
  return out;
}

function rdmaWrites(rdma: Record<string, Rdma> | undefined): CgroupWrite[] {
  const out: CgroupWrite[] = [];
  for (const [device, l] of Object.entries(rdma ?? {})) {
    const parts = [device];
    if (l.hcaHandles !== undefined) parts.push(`hca_handle=${int(l.hcaHandles)}`);
    if (l.hcaObjects !== undefined) parts.push(`hca_object=${int(l.hcaObjects)}`);
    if (parts.length > 1) out.push(write('rdma', 'rdma.max', parts.join(' ')));
  }
  return out;
}
