// The choice of driver, the only file that knows both: v2 on a pure cgroup2 host, v1 on a v1 host,
// v1 plus a v2 part for the unified hierarchy on a hybrid host (the drivers never import each
// other; what they share is the rest of cgroups/, and the interface is in types.ts). A driver is made either for a new container (from the config, before anything exists) or
// from the record kept in state.json (for every later command), never by re-reading the config.
import { path } from '../sys/path';
import type { Spec } from '../config/types';
import { TsruncError } from '../errors';
import { detectCgroupHost, type CgroupHost } from './host';
import { parseSystemdCgroupsPath, requireSystemd, resolveCgroupPath } from './path';
import { V1Cgroups } from './v1';
import { hybridUnifiedPart, V2Cgroups } from './v2';

export type { CgroupManager, CgroupPlacement, CgroupRecord, FreezerState } from './types';
import type { CgroupManager, CgroupRecord } from './types';

export interface NewCgroupOptions {
  id: string;
  systemdCgroup: boolean;
  /** The host's layout; detected when not given. */
  host?: CgroupHost;
}

/** The driver for a container about to be created, or undefined on a host without cgroups. */
export function cgroupsForNewContainer(spec: Spec, opts: NewCgroupOptions): CgroupManager | undefined {
  const cgroupsPath = spec.linux?.cgroupsPath;
  if (opts.systemdCgroup) {
    // Parsed first so a malformed path is reported as such even on a host without systemd.
    if (cgroupsPath) parseSystemdCgroupsPath(cgroupsPath);
    requireSystemd();
  }
  const host = opts.host ?? detectCgroupHost();
  if (opts.systemdCgroup) return systemdDriver().SystemdCgroups.forNew(spec, opts.id, host);
  switch (host.kind) {
    case 'v2': {
      const unified = host.unified!;
      // runc's v2 rule: a relative path hangs below the parent of the runtime's own cgroup, which
      // (unlike the own one, holding the caller) can enable controllers for its children; for a
      // rootless user that is the top of the delegated subtree its session runs in.
      return V2Cgroups.forNew(unified, resolveCgroupPath(cgroupsPath, opts.id, path.posix.dirname(unified.ownPath || '/')));
    }
    case 'v1':
    case 'hybrid':
      return V1Cgroups.forNew(host, cgroupsPath, opts.id, hybridUnifiedPart);
    case 'none':
      if (spec.linux?.resources && Object.keys(spec.linux.resources).length > 0) {
        throw new TsruncError('config.json: /linux/resources: this host has no cgroup hierarchy mounted to apply them to');
      }
      return undefined;
  }
}

/** The driver of an existing container, from its state.json record. */
export function openCgroups(record: CgroupRecord | undefined): CgroupManager | undefined {
  if (!record) return undefined;
  if (record.systemd) return systemdDriver().SystemdCgroups.fromRecord(record);
  return record.driver === 'v2' ? V2Cgroups.fromRecord(record) : V1Cgroups.fromRecord(record, hybridUnifiedPart);
}

/** Loaded only for containers that use it. */
function systemdDriver(): typeof import('./systemd/driver') {
  return require('./systemd/driver') as typeof import('./systemd/driver');
}
