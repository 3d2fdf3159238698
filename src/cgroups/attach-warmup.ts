// Moving a process into a cgroup (a write to cgroup.procs) takes the kernel's global cgroup
// threadgroup lock for writing. After a quiet spell that lock first waits for an RCU grace period
// (5 to 13 ms on the CI machine), holding the cgroup mutex meanwhile; a write in the grace period
// after one has passed does not wait. The launcher writes the init's pid to cgroup.procs on a v1 or
// hybrid host (and in a user namespace on any host) while the init waits for it; runc pays the
// same wait there. So create, run and exec begin early a write that moves nothing (this process
// into the v1 cgroup it is already in) on a worker thread: the grace period passes while the
// command's code loads and the config is checked, and the launcher's writes find the lock ready.
import { path } from '../sys/path';
import { inUserNamespace } from '../linux/rootless';
import { addon } from '../native/addon';
import { close, open } from '../sys/files';
import { dirInMount } from './files';
import { thisCgroupHost, type CgroupHost } from './host';
import { anyOf, findFirst } from '../text';
import type { CgroupPlacement } from './types';

/** Whether the launcher will write a pid to any cgroup.procs (nothing is placed by clone3 then). */
export function launcherWritesProcs(placement: CgroupPlacement | undefined, ownUserNamespace: boolean): boolean {
  if (!placement) return false;
  if (ownUserNamespace) return placement.procsFiles.length > 0;
  const atBirth = placement.intoCgroup === undefined ? undefined : `${placement.intoCgroup}/cgroup.procs`;
  return anyOf(placement.procsFiles, (f) => f !== atBirth);
}

/** The cgroup.procs of this process's own cgroup in a v1 hierarchy other than memory (never the
 * one a supervisor's memory accounting lives in), or undefined when there is none. */
export function ownProcsFile(h: CgroupHost): string | undefined {
  const v1 = findFirst(h.v1, (x) => !x.controllers.includes('memory'));
  if (!v1) return undefined;
  try {
    return path.join(dirInMount(v1.mountPoint, v1.mountRoot, v1.ownPath), 'cgroup.procs');
  } catch {
    return undefined; // the own cgroup lies outside what is mounted
  }
}

/** Starts the write that moves nothing; never fails and never waits: an error means only that
 * the launcher's first write waits as it would have. Only the host's root writes to a v1
 * hierarchy: a user, or root of a user namespace (rootless podman), tries nothing. */
export function warmUpCgroupAttach(h: CgroupHost = thisCgroupHost()): void {
  if (process.geteuid?.() !== 0 || inUserNamespace()) return;
  const file = ownProcsFile(h);
  if (!file) return;
  let fd: number;
  try { fd = open(file, 'r+'); } catch { return; }
  // The write on a thread of the addon's, which needs no turn of the event loop (what create does
  // next is synchronous and gives it none before the launcher's writes); the fd is closed when it
  // is done, or at exit if create finishes first.
  const done = (): void => { try { close(fd); } catch { /* closed already */ } };
  addon().writeOnThread(fd, Buffer.from(String(process.pid))).then(done, done);
}
