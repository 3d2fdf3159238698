// process.capabilities and process.rlimits -> numbers for the launcher. A capability this kernel
// does not have is skipped with a warning (runtime-spec 1.1); unknown names were rejected earlier.
// So is one the runtime cannot grant (config.md: logged as a warning, not a failure): outside its
// own bounding set, for a process that gets no user namespace (whose bounding set is full).
import * as files from '../sys/files';
import type { Capabilities, Rlimit } from '../config/types';
import { integerValue } from '../config/exact-integers';
import { capabilityNumber, CAPABILITY_SETS } from '../linux/capabilities';
import { rlimitNumber } from '../linux/rlimits';
import { TsruncError } from '../errors';
import { hexStatusField } from '../linux/proc-status';
import type { PlanCapabilities } from './types';

function kernelLastCap(): number {
  try {
    return Number.parseInt(files.readText('/proc/sys/kernel/cap_last_cap'), 10);
  } catch {
    return Number.MAX_SAFE_INTEGER;
  }
}

/** The runtime's own bounding set (CapBnd in /proc/self/status), as a bit mask; undefined when
 * unreadable. Every process the launcher starts inherits it. */
export function runtimeBoundingSet(): bigint | undefined {
  try {
    const hex = hexStatusField(files.readText('/proc/self/status'), 'CapBnd');
    return hex === undefined ? undefined : BigInt(`0x${hex}`);
  } catch {
    return undefined;
  }
}

/**
 * No capabilities object means no capabilities at all, as with runc (not "keep what root has").
 * `grantable`: the bounding set the process starts from; a capability outside it is left out of
 * every set, with one warning naming all such (undefined: anything can be granted).
 */
export function planCapabilities(caps: Capabilities | undefined, warn: (msg: string) => void, grantable?: bigint): PlanCapabilities {
  const last = kernelLastCap();
  const out: PlanCapabilities = { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] };
  const warned = new Set<string>();
  const notGrantable = new Set<string>();
  for (const set of CAPABILITY_SETS) {
    for (const name of caps?.[set] ?? []) {
      const n = capabilityNumber(name);
      if (n === undefined) continue;
      if (n > last) {
        if (!warned.has(name)) warn(`capability ${name} is not supported by this kernel; skipped`);
        warned.add(name);
        continue;
      }
      if (grantable !== undefined && ((grantable >> BigInt(n)) & 1n) === 0n) {
        notGrantable.add(name);
        continue;
      }
      out[set].push(n);
    }
  }
  if (notGrantable.size > 0) {
    warn(`capabilities not in the runtime's own bounding set cannot be granted; left out of every set: ${[...notGrantable].sort().join(', ')}`);
  }
  return out;
}

const RLIM_INFINITY = (1n << 64n) - 1n;

// The launcher takes decimal strings (strtoull), so uint64 values beyond 2^53 pass exactly: the
// digits come from the config text (exact-integers), not from the rounded double.
function limitText(r: Rlimit, key: 'soft' | 'hard'): string {
  const v = integerValue(r, key);
  if (v === undefined) return 'infinity'; // not an integer: the schema refused it already
  return v >= RLIM_INFINITY || v < 0n ? 'infinity' : v.toString();
}

export function planRlimits(rlimits: Rlimit[] | undefined): { type: number; soft: string; hard: string }[] {
  const out: { type: number; soft: string; hard: string }[] = [];
  const list = rlimits ?? [];
  for (let i = 0; i < list.length; i++) {
    const r = list[i];
    const type = rlimitNumber(r.type);
    if (type === undefined) continue;
    const planned = { type, soft: limitText(r, 'soft'), hard: limitText(r, 'hard') };
    refuseAboveNrOpen(planned, i);
    out.push(planned);
  }
  return out;
}

const RLIMIT_NOFILE = rlimitNumber('RLIMIT_NOFILE');

// The kernel refuses an RLIMIT_NOFILE above fs.nr_open with EPERM, even to root, so the launcher
// would report a missing capability (found by scripts/fuzz-config.js). Said here instead, where
// validate sees it too. The host's own procfs: nr_open is the same in every namespace.
function refuseAboveNrOpen(r: { type: number; hard: string }, index: number): void {
  if (r.type !== RLIMIT_NOFILE) return;
  let nrOpen: bigint;
  try {
    nrOpen = BigInt(files.readText('/proc/sys/fs/nr_open').trim());
  } catch {
    return; // unreadable: the launcher's setrlimit still answers
  }
  const hard = r.hard === 'infinity' ? RLIM_INFINITY : BigInt(r.hard);
  if (hard > nrOpen) {
    throw new TsruncError(`config.json: /process/rlimits/${index}/hard: RLIMIT_NOFILE ${r.hard} is above this kernel's maximum number of open files (fs.nr_open = ${nrOpen})`);
  }
}
