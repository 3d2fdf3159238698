// linux.resources as systemd unit properties, for the resources systemd itself must own on cgroup
// v2 (it rewrites its unit's files from its own settings, e.g. on daemon-reload). They are derived
// from the file writes the cgroupfs driver computes (v2-resources.ts), so the conversions (shares
// to weight, swap to swap.max, unified entries) are the same in both: the files are then written
// too, as runc's systemd driver does. The mapping is runc's (libcontainer/cgroups/systemd v2):
// memory.{max,low,high,min,swap.max} -> Memory*, pids.max -> TasksMax, cpu.weight -> CPUWeight
// (cpu.idle=1 -> CPUWeight=0), cpu.max -> CPUQuotaPerSecUSec + CPUQuotaPeriodUSec,
// cpuset.{cpus,mems} -> AllowedCPUs/AllowedMemoryNodes (bit masks). IO stays files only (runc maps
// no io on v2); device rules are mapped in device-properties.ts.
import type { Resources } from '../../config/types';
import { TsruncError } from '../../errors';
import { Variant } from '../../dbus/marshal';
import type { CgroupReader } from '../types';
import { v2Writes } from '../v2-resources';
import type { UnitProperty } from './systemd-api';

const INFINITY = (1n << 64n) - 1n;

const MEMORY: Record<string, string> = {
  'memory.max': 'MemoryMax', 'memory.low': 'MemoryLow', 'memory.high': 'MemoryHigh', 'memory.min': 'MemoryMin', 'memory.swap.max': 'MemorySwapMax',
};

/** "0-2,5" -> the little-endian bit mask systemd takes for AllowedCPUs (byte i bit j = CPU 8i+j). */
export function rangesToMask(list: string, what: string): Buffer {
  const bits: number[] = [];
  for (const part of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new TsruncError(`${what}: ${JSON.stringify(list)} is not a list of numbers and ranges`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi > 65535) throw new TsruncError(`${what}: bad range ${JSON.stringify(part)}`);
    for (let i = lo; i <= hi; i++) bits.push(i);
  }
  const mask = Buffer.alloc(bits.length ? Math.floor(Math.max(...bits) / 8) + 1 : 0);
  for (const b of bits) mask[b >> 3] |= 1 << (b & 7);
  return mask;
}

function uint(file: string, value: string): bigint {
  if (value === 'max') return INFINITY;
  if (!/^\d+$/.test(value)) throw new TsruncError(`${file}: ${JSON.stringify(value)} is not a number systemd can take`);
  return BigInt(value);
}

export interface SystemdResources {
  properties: UnitProperty[];
  /**
   * The resources to write to the files: the config's, except a CPU quota systemd cannot express
   * (it keeps quotas in 1% steps of a CPU second) is rounded up to what systemd sets, so that the
   * file and the unit agree (runc does the same).
   */
  resources: Resources;
}

/** `read` gives the current value of a file of the unit's cgroup (for update), or undefined. */
export function systemdResources(resources: Resources, read: CgroupReader = () => undefined): SystemdResources {
  let adjusted = resources;
  const { writes } = v2Writes(resources, read);
  const props: UnitProperty[] = [];
  const values = new Map(writes.map((w) => [w.file, w.value.trim()]));
  for (const [file, value] of values) {
    if (MEMORY[file]) props.push([MEMORY[file], new Variant('t', uint(file, value))]);
    else if (file === 'pids.max') {
      const n = uint(file, value);
      props.push(['TasksMax', new Variant('t', n === 0n ? 1n : n)]); // systemd refuses 0
    } else if (file === 'cpu.weight' && values.get('cpu.idle') !== '1') props.push(['CPUWeight', new Variant('t', uint(file, value))]);
    else if (file === 'cpu.idle' && value === '1') props.push(['CPUWeight', new Variant('t', 0n)]);
    else if (file === 'cpuset.cpus' && value !== '') props.push(['AllowedCPUs', new Variant('ay', rangesToMask(value, 'linux.resources.cpu.cpus'))]);
    else if (file === 'cpuset.mems' && value !== '') props.push(['AllowedMemoryNodes', new Variant('ay', rangesToMask(value, 'linux.resources.cpu.mems'))]);
    else if (file === 'cpu.max') {
      const [quotaText, periodText = '100000'] = value.split(/\s+/);
      const period = BigInt(periodText);
      props.push(['CPUQuotaPeriodUSec', new Variant('t', period)]);
      let perSec = INFINITY;
      if (quotaText !== 'max') {
        perSec = (BigInt(quotaText) * 1000000n) / period;
        if (perSec % 10000n !== 0n) {
          perSec = (perSec / 10000n + 1n) * 10000n;
          const quota = (perSec * period) / 1000000n;
          if (resources.cpu?.quota !== undefined) adjusted = { ...adjusted, cpu: { ...adjusted.cpu, quota: Number(quota) } };
        }
      }
      props.push(['CPUQuotaPerSecUSec', new Variant('t', perSec)]);
    }
  }
  return { properties: props, resources: adjusted };
}

/** The config's resources without the task limit (linux.resources.pids and a unified pids.max),
 * and that limit alone, if there is one (see SystemdCgroups.afterInit). */
export function splitTaskLimit(resources: Resources): { now: Resources; afterInit?: Resources } {
  const { pids, unified, ...rest } = resources;
  const { 'pids.max': pidsMax, ...otherUnified } = unified ?? {};
  const now: Resources = { ...rest };
  if (unified) now.unified = otherUnified;
  if (pids === undefined && pidsMax === undefined) return { now: resources };
  const afterInit: Resources = {};
  if (pids !== undefined) afterInit.pids = pids;
  if (pidsMax !== undefined) afterInit.unified = { 'pids.max': pidsMax };
  return { now, afterInit };
}
