// The cgroups of an existing container, for the commands that act through them (pause, resume,
// update, ps, events, kill --all).
import { openCgroups, type CgroupManager } from '../cgroups/manager';
import { TsruncError } from '../errors';
import { cgroupRecord } from './cgroup-record';
import type { OpenContainer } from './lookup';
import { hasOwnPidNamespace, pidNamespaceMembers } from './process-signal';

/** The container's cgroups, or undefined when it was created without any. */
export function containerCgroupsIfAny(c: OpenContainer): CgroupManager | undefined {
  return openCgroups(cgroupRecord(c.state.tsrunc.cgroup));
}

export function containerCgroups(c: OpenContainer): CgroupManager {
  const cgroups = containerCgroupsIfAny(c);
  if (!cgroups) throw new TsruncError(`container ${c.state.id} has no cgroup (${noCgroupReason()})`);
  return cgroups;
}

/** Only a user's state root can hold a container of a rootless tsrunc: root's are never readable to it. */
function noCgroupReason(): string {
  if ((process.geteuid?.() ?? 0) === 0) return 'it was created on a host without cgroups';
  return 'it was created rootless, where no cgroup was writable by its user; delegate a cgroup v2 subtree to the user for pause, resume, update and statistics';
}

/** The container's processes: its cgroup's, or without one those of its pid namespace. */
export function containerPids(c: OpenContainer): number[] {
  const cgroups = containerCgroupsIfAny(c);
  if (cgroups) return cgroups.pids();
  if (!hasOwnPidNamespace(c.state)) throw new TsruncError(`container ${c.state.id} has no cgroup and no pid namespace of its own: its processes cannot be told from the host's (${noCgroupReason()})`);
  return pidNamespaceMembers(c.state);
}
