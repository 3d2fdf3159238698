import type { CommandContext } from '../context';
import { TsruncError } from '../errors';
import { openCgroups } from '../cgroups/manager';
import { withContainer } from '../container/lookup';
import { containerPids, signalInit } from '../container/process-signal';
import { parseSignal } from '../container/signals';

const SIGKILL = 9;

export default async function kill(args: { id: string; positional: string[]; all: boolean }, ctx: CommandContext): Promise<number> {
  const signal = parseSignal(args.positional[1]);
  await withContainer(ctx.opts.root, args.id, (c) => {
    if (c.status === 'stopped') throw new TsruncError('container not running');
    const cgroups = openCgroups(c.state.tsrunc.cgroup);
    if (args.all && cgroups) {
      // Through the cgroup: every process, including those outside the init's pid namespace
      // view and any forked meanwhile (the cgroup is frozen while signalled, or cgroup.kill).
      cgroups.signalAll(signal);
    } else if (args.all) {
      for (const pid of containerPids(c.state)) {
        try { process.kill(pid, signal); } catch { /* already gone */ }
      }
    } else {
      signalInit(c.state, signal);
    }
    // A frozen process dies of SIGKILL only once thawed (v1); other signals wait for resume.
    if (signal === SIGKILL && c.status === 'paused' && cgroups) cgroups.thaw();
  });
  return 0;
}
