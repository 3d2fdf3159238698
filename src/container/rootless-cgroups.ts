// Cgroups of a rootless container (runc's rule): used when this user can write them (a delegated
// cgroup v2 subtree); otherwise left out, but only when the config asks for no limit at all, for
// there would be nothing to enforce them with, and names no cgroupsPath.
import * as files from '../sys/files';
import { path } from '../sys/path';
import type { CgroupManager } from '../cgroups/manager';
import type { Spec } from '../config/types';
import { TsruncError } from '../errors';

/** The nearest existing directory at or above `dir` is writable by this process. */
function creatable(dir: string): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    if (files.exists(d)) {
      try { files.access(d, 'w'); return true; } catch { return false; }
    }
    if (d === path.dirname(d)) return false;
  }
}

/** Any limit besides device rules (which a rootless container cannot change anyway, as with runc). */
function asksForLimits(spec: Spec): string | undefined {
  const resources = (spec.linux?.resources ?? {}) as Record<string, unknown>;
  return Object.keys(resources).find((k) => {
    if (k === 'devices') return false;
    const v = resources[k];
    return v !== undefined && v !== null && !(typeof v === 'object' && Object.keys(v as object).length === 0);
  });
}

export function rootlessCgroups(cgroups: CgroupManager | undefined, spec: Spec, rootless: boolean, debug: (msg: string) => void): CgroupManager | undefined {
  if (!cgroups || !rootless) return cgroups;
  const denied = cgroups.placement().procsFiles.map(path.dirname).find((d) => !creatable(d));
  if (denied === undefined) return cgroups;
  // A cgroup the config names is wanted: without it the container would run elsewhere (runc too).
  const asked = spec.linux?.cgroupsPath;
  if (asked) {
    throw new TsruncError(`config.json: /linux/cgroupsPath: ${JSON.stringify(asked)} is not writable by this user (${denied}); a rootless container's cgroup must lie in a cgroup v2 subtree delegated to it, or leave cgroupsPath out`);
  }
  const limit = asksForLimits(spec);
  if (limit !== undefined) {
    throw new TsruncError(`config.json: /linux/resources/${limit}: a rootless container cannot be limited here: ${denied} is not writable by this user (delegate a cgroup v2 subtree to it, or leave the limits out)`);
  }
  debug(`rootless: no cgroup (${denied} is not writable by this user) and none needed: the config asks for no limit`);
  return undefined;
}
