// events: the container's cgroup statistics every --interval and an {"type":"oom"} line whenever
// the OOM killer strikes in its cgroup, as runc prints them, until the container stops; with
// --stats, one statistics line and exit.
import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandContext } from '../context';
import { TsruncError } from '../errors';
import { eventLine } from '../cgroups/stats';
import { containerCgroups } from '../container/cgroups';
import { withContainer } from '../container/lookup';
import { initAlive } from '../state/status';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("5s", "1m30s", "250ms"), as runc's --interval takes it, in milliseconds. */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    end = re.lastIndex;
  }
  if (end === 0 || end !== text.length) throw new TsruncError(`invalid value "${text}" for flag --interval: parse error (a duration such as 5s, 500ms or 1m)`);
  return total;
}

/** How often OOM counters are looked at between statistics lines. */
const OOM_POLL_MS = 100;

export default async function events(args: { id: string; stats: boolean; interval: string }, ctx: CommandContext): Promise<number> {
  const intervalMs = parseDuration(args.interval);
  if (intervalMs <= 0) throw new TsruncError('duration interval must be greater than 0');
  // The lock is held only to read the state: events runs for as long as the container does.
  const { state, cgroups } = await withContainer(ctx.opts.root, args.id, (c) => {
    if (c.status === 'stopped') throw new TsruncError(`container with id ${c.state.id} is not running`);
    return { state: c.state, cgroups: containerCgroups(c) };
  });
  // Counters are 64-bit: eventLine prints them exactly, as Go's encoder does.
  const write = (line: string): void => { fs.writeSync(1, line); };
  const stats = () => {
    try {
      return cgroups.stats();
    } catch (e) {
      throw new TsruncError(`unable to get container cgroup stats: ${(e as Error).message}`);
    }
  };
  if (args.stats) {
    write(eventLine({ type: 'stats', id: state.id, data: stats() }));
    return 0;
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
  return 0;
}
