// Moving a process into a cgroup (a write to cgroup.procs) takes the kernel's global cgroup
// threadgroup lock for writing. After a quiet spell that lock first waits for an RCU grace period
// (5 to 13 ms on the CI machine), holding the cgroup mutex meanwhile; a write in the grace period
// after one has passed does not wait. The launcher writes the init's pid to cgroup.procs on a v1 or
// hybrid host (and in a user namespace on any host) while the init waits for it; runc pays the
// same wait there. So create, run and exec begin early a write that moves nothing (this process
// into the v1 cgroup it is already in) on a worker thread: the grace period passes while the
// command's code loads and the config is checked, and the launcher's writes find the lock ready.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inUserNamespace } from '../linux/rootless';
import { dirInMount } from './files';
import { thisCgroupHost, type CgroupHost } from './host';
import type { CgroupPlacement } from './types';

/** Whether the launcher will write a pid to any cgroup.procs (nothing is placed by clone3 then). */
export function launcherWritesProcs(placement: CgroupPlacement | undefined, ownUserNamespace: boolean): boolean {
  if (!placement) return false;
  if (ownUserNamespace) return placement.procsFiles.length > 0;
  const atBirth = placement.intoCgroup === undefined ? undefined : `${placement.intoCgroup}/cgroup.procs`;
  return placement.procsFiles.some((f) => f !== atBirth);
}

/** The cgroup.procs of this process's own cgroup in a v1 hierarchy other than memory (never the
 * one a supervisor's memory accounting lives in), or undefined when there is none. */
export function ownProcsFile(h: CgroupHost): string | undefined {
  const v1 = h.v1.find((x) => !x.controllers.includes('memory'));
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
  // One call, so open, write and close all happen on the worker thread: what create does next
  // is synchronous and gives the event loop no turn before the launcher's writes.
  fs.writeFile(file, String(process.pid), { flag: 'r+' }, () => {});
}
