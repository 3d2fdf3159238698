// process.capabilities and process.rlimits -> numbers for the launcher. A capability this kernel
// does not have is skipped with a warning (runtime-spec 1.1); unknown names were rejected earlier.
import * as fs from 'node:fs';
import type { Capabilities, Rlimit } from '../config/types';
import { integerValue } from '../config/exact-integers';
import { capabilityNumber, CAPABILITY_SETS } from '../linux/capabilities';
import { rlimitNumber } from '../linux/rlimits';
import type { PlanCapabilities } from './types';

function kernelLastCap(): number {
  try {
    return Number.parseInt(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'), 10);
  } catch {
    return Number.MAX_SAFE_INTEGER;
  }
}

/** No capabilities object means no capabilities at all, as with runc (not "keep what root has"). */
export function planCapabilities(caps: Capabilities | undefined, warn: (msg: string) => void): PlanCapabilities {
  const last = kernelLastCap();
  const out: PlanCapabilities = { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] };
  const warned = new Set<string>();
  for (const set of CAPABILITY_SETS) {
    for (const name of caps?.[set] ?? []) {
      const n = capabilityNumber(name);
      if (n === undefined) continue;
      if (n > last) {
        if (!warned.has(name)) warn(`capability ${name} is not supported by this kernel; skipped`);
        warned.add(name);
        continue;
      }
      out[set].push(n);
    }
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
  return (rlimits ?? []).flatMap((r) => {
    const type = rlimitNumber(r.type);
    return type === undefined ? [] : [{ type, soft: limitText(r, 'soft'), hard: limitText(r, 'hard') }];
  });
}
