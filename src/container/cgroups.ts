// The cgroups of an existing container, for the commands that act through them (pause, resume,
// update, ps, events, kill --all).
import { openCgroups, type CgroupManager } from '../cgroups/manager';
import { TsruncError } from '../errors';
import { cgroupRecord } from './cgroup-record';
import type { OpenContainer } from './lookup';

export function containerCgroups(c: OpenContainer): CgroupManager {
  const cgroups = openCgroups(cgroupRecord(c.state.tsrunc.cgroup));
  if (!cgroups) throw new TsruncError(`container ${c.state.id} has no cgroup (it was created on a host without cgroups)`);
  return cgroups;
}
