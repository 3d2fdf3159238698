// linux.resources.pids.limit → the text of pids.max, the same on cgroup v1 and v2. Follows runc
// ≥ 1.4.0 (opencontainers/cgroups 0.0.6), which took up runtime-spec 1.3's note that 0 is a real
// limit: an absent (or null) limit leaves pids.max alone, any negative one lifts it ("max"), and
// 0 is written as 1. The kernel takes "0", but a pids.max of 0 also refuses the init's own
// clone3(CLONE_INTO_CGROUP) on v2 and systemd cannot express it; with the init as the cgroup's
// only task, 1 forbids every fork just as 0 would.
import { integerValue } from '../config/exact-integers';
import type { Pids } from '../config/types';

/** What to write to pids.max, or undefined when the config leaves it unset. */
export function pidsMaxText(pids: Pids | undefined): string | undefined {
  const limit = pids ? integerValue(pids, 'limit') : undefined;
  if (limit === undefined) return undefined;
  if (limit < 0n) return 'max';
  return limit === 0n ? '1' : limit.toString();
}
