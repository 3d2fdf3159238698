import type { CommandContext } from '../context';
import { TsruncError } from '../errors';
import type { CgroupManager } from '../cgroups/manager';
import { withContainer } from '../container/lookup';
import { containerPids, signalInit } from '../container/process-signal';
import { parseSignal } from '../container/signals';
import type { ContainerState } from '../state/store';

const SIGKILL = 9;

// The cgroup drivers load only when needed (--all, or thawing a paused container for SIGKILL):
// a plain signal to the init is what engines send for every container.
async function cgroupsOf(state: ContainerState): Promise<CgroupManager | undefined> {
  const { openCgroups } = await import('../cgroups/manager');
  return openCgroups(state.tsrunc.cgroup);
}

export default async function kill(args: { id: string; positional: string[]; all: boolean }, ctx: CommandContext): Promise<number> {
  const signal = parseSignal(args.positional[1]);
  await withContainer(ctx.opts.root, args.id, async (c) => {
    if (c.status === 'stopped') {
      if (!args.all) throw new TsruncError('container not running');
      // As runc: --all of a stopped container succeeds (containerd's task delete sends it after
      // the exit), and still reaches what is left in its cgroup (no pid namespace of its own,
      // so the init's children outlive it). Never by pid: the init's number may be reused.
      (await cgroupsOf(c.state))?.signalAll(signal);
      return;
    }
    const thaw = signal === SIGKILL && c.status === 'paused';
    const cgroups = args.all || thaw ? await cgroupsOf(c.state) : undefined;
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
    if (thaw && cgroups) cgroups.thaw();
  });
  return 0;
}
