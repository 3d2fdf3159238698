// linux.resources → the files of one cgroup v2 directory, as runc's fs2 driver writes them (same
// files, same text, same order: pids, memory, io, cpu, cpuset, hugetlb, rdma, then `unified`, which
// therefore overrides what came before). Pure: the driver applies the writes in order. `current`
// reads the container's cgroup where runc's choice depends on what is there (io.bfq.weight, the
// half of cpu.max an update leaves out, hugetlb's .rsvd files, memory.current for
// checkBeforeUpdate); it must be called after the controllers are enabled, since a controller's
// files only exist then. Device rules are not here: on v2 they are an eBPF program
// (device-program.ts).
//
// Where runc 1.1 silently drops a setting v2 has no file for (swappiness, kernel memory, the OOM
// killer switch, weightDevice without BFQ), the config path is listed in `ignored` so the caller
// can warn. What runc would get wrong or the kernel would refuse later (realtime limits, leaf
// weights, net_cls/net_prio, bad names) is a TsruncError naming the config path.
import { integerValue } from '../config/exact-integers';
import type { BlockIO, CPU, HugepageLimit, Memory, Pids, Rdma, Resources, ThrottleDevice } from '../config/types';
import { TsruncError } from '../errors';
import { isDigits } from '../text';
import { pidsMaxText } from './pids-limit';
import type { CgroupReader, CgroupWrite } from './types';

export interface V2Resources {
  writes: CgroupWrite[];
  /** Controllers to enable in every ancestor's cgroup.subtree_control, in the kernel's order. */
  controllers: string[];
  /** Config paths set to something cgroup v2 cannot express and that runc ignores there too. */
  ignored: string[];
}

/** The kernel's own order of the v2 controllers a container can use (cgroup.controllers). */
const CONTROLLERS = ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc'];

/** What every error names: the place in linux.resources, then why. */
function refuse(at: string, why: string): never {
  throw new TsruncError(`linux.resources.${at}: ${why}`);
}

class Collector {
  readonly writes: CgroupWrite[] = [];
  readonly ignored: string[] = [];
  constructor(readonly current: CgroupReader | undefined) {}

  /** v2 names every file `<controller>.<knob>`; `cgroup.*` files belong to no controller. */
  write(file: string, value: string): void {
    const dot = file.indexOf('.');
    this.writes.push({ controller: dot > 0 ? file.slice(0, dot) : file, file, value });
  }

  read(file: string): string | undefined {
    const dot = file.indexOf('.');
    return this.current?.(file.slice(0, dot), file);
  }

  ignore(at: string): void {
    this.ignored.push(`linux.resources.${at}`);
  }
}

/** An integer field, exact even beyond 2^53 (config.json's literal); 0n when absent. */
function int(obj: object | undefined, key: string): bigint {
  return (obj && integerValue(obj, key)) ?? 0n;
}

/** runc's numToStr: 0 is "unset" (no write), -1 is "max"; other negatives mean nothing to v2. */
function limitText(value: bigint, at: string): string | undefined {
  if (value === 0n) return undefined;
  if (value === -1n) return 'max';
  if (value < 0n) refuse(at, `${value} is not a limit (use -1 for no limit)`);
  return value.toString();
}

export function v2Writes(resources: Resources, current?: CgroupReader): V2Resources {
  const out = new Collector(current);
  if (resources.pids) pidsWrites(resources.pids, out);
  if (resources.memory) memoryWrites(resources.memory, out);
  if (resources.blockIO) ioWrites(resources.blockIO, out);
  if (resources.cpu) cpuWrites(resources.cpu, out);
  if (resources.cpu) cpusetWrites(resources.cpu, out);
  (resources.hugepageLimits ?? []).forEach((limit, i) => hugetlbWrites(limit, i, out));
  for (const [device, limits] of Object.entries(resources.rdma ?? {})) rdmaWrite(device, limits, out);
  if (resources.network) refuseNetwork(resources.network);
  for (const [key, value] of Object.entries(resources.unified ?? {})) unifiedWrite(key, value, out);

  const used = new Set(out.writes.map((w) => w.controller));
  return { writes: out.writes, controllers: CONTROLLERS.filter((c) => used.has(c)), ignored: out.ignored };
}

function pidsWrites(pids: Pids, out: Collector): void {
  const max = pidsMaxText(pids);
  if (max !== undefined) out.write('pids.max', max);
}

/**
 * OCI's swap is memory+swap (v1's memsw); v2's memory.swap.max is swap alone. runc's conversion,
 * with its errors: -1 memory with no swap means both unlimited.
 */
export function swapToV2(swap: bigint, memory: bigint): bigint {
  if (memory === -1n && swap === 0n) return -1n;
  if (swap === -1n || swap === 0n) return swap;
  if (memory === 0n || memory === -1n) refuse('memory.swap', 'unable to set swap limit without memory limit');
  if (memory < 0n) refuse('memory.limit', `invalid memory value: ${memory}`);
  if (swap < memory) refuse('memory.swap', 'memory+swap limit should be >= memory limit');
  return swap - memory;
}

function memoryWrites(memory: Memory, out: Collector): void {
  // v2 has no files for these; runc 1.1's fs2 driver drops them without a word.
  if (memory.swappiness !== undefined) out.ignore('memory.swappiness');
  if (int(memory, 'kernel') !== 0n) out.ignore('memory.kernel');
  if (int(memory, 'kernelTCP') !== 0n) out.ignore('memory.kernelTCP');
  if (memory.disableOOMKiller) out.ignore('memory.disableOOMKiller');

  const limit = int(memory, 'limit');
  const swap = int(memory, 'swap');
  const reservation = int(memory, 'reservation');
  if (limit === 0n && swap === 0n && reservation === 0n) return;

  if (memory.checkBeforeUpdate) checkUsage(limit, swap, out);

  const swapV2 = swapToV2(swap, limit);
  // memory == swap disables swap: a 0 written on purpose, unlike 0 for "unset".
  const swapText = swapV2 === 0n ? (swap > 0n ? '0' : undefined) : limitText(swapV2, 'memory.swap');
  if (swapText !== undefined) {
    // Without swap accounting the file is missing; "no limit" and "no swap" then already hold.
    const noSwapFile = out.current !== undefined && out.read('memory.swap.max') === undefined;
    if (!(noSwapFile && (swapText === 'max' || swapText === '0'))) out.write('memory.swap.max', swapText);
  }
  const limitValue = limitText(limit, 'memory.limit');
  if (limitValue !== undefined) out.write('memory.max', limitValue);
  const low = limitText(reservation, 'memory.reservation');
  if (low !== undefined) out.write('memory.low', low);
}

/** checkBeforeUpdate: a limit at or below what the cgroup already uses is refused (runc ≥ 1.2). */
function checkUsage(limit: bigint, swap: bigint, out: Collector): void {
  const text = out.read('memory.current')?.trim();
  if (text === undefined || !isDigits(text)) return; // best effort, as runc: no cgroup yet
  const usage = BigInt(text);
  if (swap > 0n && swap <= usage) refuse('memory.swap', `rejecting memory+swap limit ${swap} <= usage ${usage}`);
  if (limit > 0n && limit <= usage) refuse('memory.limit', `rejecting memory limit ${limit} <= usage ${usage}`);
}

/**
 * v1 cpu.shares [2, 262144], default 1024 → v2 cpu.weight [1, 10000], default 100, as runc ≥ 1.3.2
 * and crun ≥ 1.23 map it: log10 of the weight is a quadratic in log2 of the shares through the
 * two ends and the two defaults, rounded up; values past either end clamp, as v1 would. (The
 * linear map of runc ≤ 1.3.1 gave the default 1024 shares a weight of 39, not 100.) 0 means
 * unset and never gets here. Every result in range was checked against a C/libm evaluation.
 */
export function sharesToWeight(shares: bigint): bigint {
  if (shares <= 2n) return 1n;
  if (shares >= 262144n) return 10000n;
  const l = Math.log2(Number(shares));
  return BigInt(Math.ceil(10 ** ((l * l + 125 * l) / 612 - 7 / 34)));
}

/** cpu.max is "QUOTA PERIOD" or "max PERIOD". */
function parseCpuMax(text: string | undefined): { quota: string; period: string } | undefined {
  const m = /^(max|\d+)\s+(\d+)\s*$/.exec(text ?? '');
  return m ? { quota: m[1], period: m[2] } : undefined;
}

function cpuWrites(cpu: CPU, out: Collector): void {
  // v2 has no realtime group scheduling knobs; a config that asks for a budget cannot be honoured.
  if (int(cpu, 'realtimeRuntime') !== 0n) refuse('cpu.realtimeRuntime', 'realtime scheduling limits are not supported on cgroup v2');
  if (int(cpu, 'realtimePeriod') !== 0n) refuse('cpu.realtimePeriod', 'realtime scheduling limits are not supported on cgroup v2');

  if (cpu.idle !== undefined) out.write('cpu.idle', int(cpu, 'idle').toString());
  const shares = int(cpu, 'shares');
  if (shares !== 0n) out.write('cpu.weight', sharesToWeight(shares).toString());

  const quota = int(cpu, 'quota');
  const period = int(cpu, 'period');
  const now = quota !== 0n || period !== 0n || cpu.burst !== undefined ? parseCpuMax(out.read('cpu.max')) : undefined;
  let max: string | undefined;
  if (quota !== 0n || period !== 0n) {
    // Given alone, quota or period keeps the other half as it is (runc update keeps the old value;
    // on a new cgroup that is the kernel's "max 100000", the default runc writes).
    const quotaText = quota > 0n ? quota.toString() : quota < 0n ? 'max' : now?.quota ?? 'max';
    const periodText = period !== 0n ? period.toString() : now?.period ?? '100000';
    max = `${quotaText} ${periodText}`;
  }
  if (cpu.burst === undefined) {
    if (max !== undefined) out.write('cpu.max', max);
    return;
  }
  // The kernel keeps burst <= quota at every step, so one of the two orders always works: burst
  // first when it fits under the quota in place (runc's first try), else after the new quota.
  const burst = int(cpu, 'burst');
  const quotaNow = now?.quota;
  const burstFirst = max === undefined || quotaNow === undefined || quotaNow === 'max' || burst <= BigInt(quotaNow);
  if (burstFirst) out.write('cpu.max.burst', burst.toString());
  if (max !== undefined) out.write('cpu.max', max);
  if (!burstFirst) out.write('cpu.max.burst', burst.toString());
}

function cpusetWrites(cpu: CPU, out: Collector): void {
  if (cpu.cpus) out.write('cpuset.cpus', cpu.cpus);
  if (cpu.mems) out.write('cpuset.mems', cpu.mems);
}

/** runc's linear map of blkio weights [10, 1000] onto io.weight [1, 10000]. */
export function blkioToIoWeight(weight: bigint): bigint {
  if (weight < 10n || weight > 1000n) refuse('blockIO.weight', `${weight} is outside the blkio weight range 10-1000`);
  return 1n + ((weight - 10n) * 9999n) / 990n;
}

function ioWrites(blockIO: BlockIO, out: Collector): void {
  if (int(blockIO, 'leafWeight') !== 0n) refuse('blockIO.leafWeight', 'cgroup v2 has no leaf weights');
  const devices = blockIO.weightDevice ?? [];
  devices.forEach((d, i) => {
    if (int(d, 'leafWeight') !== 0n) refuse(`blockIO.weightDevice[${i}].leafWeight`, 'cgroup v2 has no leaf weights');
  });

  const weight = int(blockIO, 'weight');
  // BFQ's own file takes v1's weights unconverted; without BFQ, io.weight takes the converted one.
  const bfq = weight !== 0n || devices.length > 0 ? out.read('io.bfq.weight') : undefined;
  if (weight !== 0n) {
    if (bfq !== undefined) out.write('io.bfq.weight', weight.toString());
    else out.write('io.weight', blkioToIoWeight(weight).toString());
  }
  // Per-device lines need a BFQ new enough to show "default N" rather than a bare number; runc
  // writes them there or nowhere.
  const bfqTakesDevices = bfq !== undefined && !/^\s*-?\d+\s*$/.test(bfq);
  const weighted = devices.filter((d) => d.weight !== undefined);
  if (bfqTakesDevices) for (const d of weighted) out.write('io.bfq.weight', `${d.major}:${d.minor} ${int(d, 'weight')}`);
  else if (weighted.length > 0) out.ignore('blockIO.weightDevice');

  const throttles: [ThrottleDevice[] | undefined, string][] = [
    [blockIO.throttleReadBpsDevice, 'rbps'],
    [blockIO.throttleWriteBpsDevice, 'wbps'],
    [blockIO.throttleReadIOPSDevice, 'riops'],
    [blockIO.throttleWriteIOPSDevice, 'wiops'],
  ];
  for (const [list, key] of throttles) {
    for (const t of list ?? []) out.write('io.max', `${t.major}:${t.minor} ${key}=${int(t, 'rate')}`);
  }
}

// A page size is part of a file name: "2MB", "1GB", "64KB".
const PAGE_SIZE = /^[1-9]\d*[KMGTP]?B$/;

function hugetlbWrites(limit: HugepageLimit, i: number, out: Collector): void {
  if (!PAGE_SIZE.test(limit.pageSize)) {
    refuse(`hugepageLimits[${i}].pageSize`, `${JSON.stringify(limit.pageSize)} is not a huge page size such as "2MB"`);
  }
  const prefix = `hugetlb.${limit.pageSize}`;
  const value = int(limit, 'limit').toString();
  out.write(`${prefix}.max`, value);
  // Kernels ≥ 5.7 also account reservations; runc limits them alike where the file exists.
  if (out.read(`${prefix}.rsvd.max`) !== undefined) out.write(`${prefix}.rsvd.max`, value);
}

function rdmaWrite(device: string, limits: Rdma, out: Collector): void {
  if (!device || /\s/.test(device)) refuse(`rdma[${JSON.stringify(device)}]`, `${JSON.stringify(device)} is not an RDMA device name`);
  let line = device;
  if (limits.hcaHandles !== undefined) line += ` hca_handle=${int(limits, 'hcaHandles')}`;
  if (limits.hcaObjects !== undefined) line += ` hca_object=${int(limits, 'hcaObjects')}`;
  if (line === device) refuse(`rdma[${JSON.stringify(device)}]`, 'needs hcaHandles or hcaObjects');
  out.write('rdma.max', line);
}

function refuseNetwork(network: NonNullable<Resources['network']>): void {
  if (network.classID !== undefined) refuse('network.classID', 'cgroup v2 has no net_cls controller');
  if ((network.priorities ?? []).length > 0) refuse('network.priorities', 'cgroup v2 has no net_prio controller');
}

function unifiedWrite(key: string, value: string, out: Collector): void {
  const at = `unified[${JSON.stringify(key)}]`;
  if (key.includes('/') || key.includes('..')) refuse(at, `unified resource ${JSON.stringify(key)} must be a file name (no slashes)`);
  const dot = key.indexOf('.');
  if (dot <= 0 || dot === key.length - 1) refuse(at, `unified resource ${JSON.stringify(key)} must be in the form CONTROLLER.PARAMETER`);
  out.write(key, value);
}
