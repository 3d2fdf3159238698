// linux.cgroupsPath as runc reads it. cgroupfs form: an absolute path is taken from the hierarchy's
// root; a relative one, and the empty default (the container id), hang below the cgroup the runtime
// itself runs in (cgroup v2: its parent, manager.ts). systemd form (--systemd-cgroup): "slice:prefix:name", which needs systemd.
import { path } from '../sys/path';
import { stat } from '../sys/files';
import { systemdCgroupsPathParts } from '../config/cgroups-path';
import { TsruncError } from '../errors';

/** The container's cgroup inside a hierarchy where the runtime's own cgroup is `ownPath`. */
export function resolveCgroupPath(cgroupsPath: string | undefined, id: string, ownPath: string): string {
  const wanted = cgroupsPath ? cgroupsPath : id;
  // normalize on an absolute path: ".." can never climb above the hierarchy's root.
  if (wanted.startsWith('/')) return path.posix.normalize(wanted);
  const below = path.posix.normalize(`/${wanted}`);
  return path.posix.join(ownPath === '' ? '/' : ownPath, below);
}

export interface SystemdCgroupsPath { slice: string; prefix: string; name: string }

/** `cgroupsPath` has passed validation (src/config/rules/resources.ts) with --systemd-cgroup. */
export function parseSystemdCgroupsPath(cgroupsPath: string): SystemdCgroupsPath {
  const m = systemdCgroupsPathParts(cgroupsPath);
  if (!m) throw new TsruncError(`cgroupsPath ${JSON.stringify(cgroupsPath)} does not have the form slice:prefix:name`);
  return { slice: m[0] || 'system.slice', prefix: m[1], name: m[2] };
}

/** systemd's own test for "booted with systemd as init" (sd_booted). */
export function systemdRunning(runDir = '/run/systemd/system'): boolean {
  try { return stat(runDir).isDirectory(); } catch { return false; }
}

export function requireSystemd(runDir?: string): void {
  if (!systemdRunning(runDir)) {
    throw new TsruncError('--systemd-cgroup: systemd is not running on this host (no /run/systemd/system), so it cannot manage the container\'s cgroup; leave out --systemd-cgroup and use the cgroupfs form of cgroupsPath');
  }
}
