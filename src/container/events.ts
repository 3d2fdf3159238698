// events: the container's cgroup statistics every interval and an {"type":"oom"} line whenever
// the OOM killer strikes in its cgroup, as runc prints them, until the container stops.
import { setTimeout as sleep } from 'node:timers/promises';
import { TsruncError } from '../errors';
import { emptyStats, eventLine } from '../cgroups/stats';
import { initAlive } from '../state/status';
import { containerCgroups, containerCgroupsIfAny } from './cgroups';
import { withContainer } from './lookup';

/** How often OOM counters are looked at between statistics lines. */
const OOM_POLL_MS = 100;

/**
 * Writes the container's statistics every intervalMs (once, with `once`) and an oom line whenever
 * the OOM killer strikes in its cgroup, until the container stops.
 */
export async function watchEvents(root: string, id: string | undefined, how: { once: boolean; intervalMs: number }, write: (line: string) => void): Promise<void> {
  const intervalMs = how.intervalMs;
  // The lock is held only to read the state: events runs for as long as the container does.
  const { state, cgroups } = await withContainer(root, id, (c) => {
    if (c.status === 'stopped') throw new TsruncError(`container with id ${c.state.id} is not running`);
    // --stats without a cgroup: runc prints its statistics with every counter zero and exits 0.
    return { state: c.state, cgroups: how.once ? containerCgroupsIfAny(c) : containerCgroups(c) };
  });
  if (!cgroups) {
    write(eventLine({ type: 'stats', id: state.id, data: emptyStats() }));
    return;
  }
  // Counters are 64-bit: eventLine prints them exactly, as Go's encoder does.
  const stats = () => {
    try {
      return cgroups.stats();
    } catch (e) {
      throw new TsruncError(`unable to get container cgroup stats: ${(e as Error).message}`);
    }
  };
  if (how.once) {
    write(eventLine({ type: 'stats', id: state.id, data: stats() }));
    return;
  }
  const oomKills = (): number | undefined => {
    try { return cgroups.oomKills(); } catch { return undefined; /* the cgroup went with the container */ }
  };
  let ooms = oomKills() ?? 0;
  let nextStats = Date.now() + intervalMs;
  while (initAlive(state)) {
    await sleep(Math.min(OOM_POLL_MS, Math.max(1, nextStats - Date.now())));
    const now = oomKills();
    if (now === undefined) break;
    for (; ooms < now; ooms++) write(eventLine({ type: 'oom', id: state.id }));
    if (Date.now() >= nextStats && initAlive(state)) {
      try {
        write(eventLine({ type: 'stats', id: state.id, data: stats() }));
      } catch (e) {
        // The container may be deleted between the check and the read.
        if (!initAlive(state)) break;
        throw e;
      }
      nextStats += intervalMs;
    }
  }
}
