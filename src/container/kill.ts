// kill: a signal to the init, or with --all to every process of the container (through its cgroup).
import { TsruncError } from '../errors';
import type { CgroupManager } from '../cgroups/manager';
import type { ContainerState } from '../state/store';
import { cgroupRecord } from './cgroup-record';
import { withContainer } from './lookup';
import { pidNamespaceMembers, signalInit } from './process-signal';

const SIGKILL = 9;

// The cgroup drivers load only when needed (--all, or thawing a paused container for SIGKILL):
// a plain signal to the init is what engines send for every container.
async function cgroupsOf(state: ContainerState): Promise<CgroupManager | undefined> {
  const { openCgroups } = await import('../cgroups/manager');
  return openCgroups(cgroupRecord(state.tsrunc.cgroup));
}

export async function killContainer(root: string, id: string | undefined, signal: number, all: boolean): Promise<void> {
  await withContainer(root, id, async (c) => {
    if (c.status === 'stopped') {
      if (!all) throw new TsruncError('container not running');
      // As runc: --all of a stopped container succeeds (containerd's task delete sends it after
      // the exit), and still reaches what is left in its cgroup (no pid namespace of its own,
      // so the init's children outlive it). Never by pid: the init's number may be reused.
      (await cgroupsOf(c.state))?.signalAll(signal);
      return;
    }
    const thaw = signal === SIGKILL && c.status === 'paused';
    const cgroups = all || thaw ? await cgroupsOf(c.state) : undefined;
    if (all && cgroups) {
      // Through the cgroup: every process, including those outside the init's pid namespace
      // view and any forked meanwhile (the cgroup is frozen while signalled, or cgroup.kill).
      cgroups.signalAll(signal);
    } else if (all) {
      for (const pid of pidNamespaceMembers(c.state)) {
        try { process.kill(pid, signal); } catch { /* already gone */ }
      }
    } else {
      signalInit(c.state, signal);
    }
    // A frozen process dies of SIGKILL only once thawed (v1); other signals wait for resume.
    if (thaw && cgroups) cgroups.thaw();
  });
}
