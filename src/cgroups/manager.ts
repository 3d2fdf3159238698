// The one interface the rest of tsrunc uses for cgroups, and the choice of driver: v2 on a pure
// cgroup2 host, v1 on a v1 host, v1 plus the unified hierarchy on a hybrid host (v1.ts handles
// both). A driver is made either for a new container (from the config, before anything exists) or
// from the record kept in state.json (for every later command), never by re-reading the config.
import type { Device, Resources, Spec } from '../config/types';
import { TsruncError } from '../errors';
import { detectCgroupHost, type CgroupHost } from './host';
import { parseSystemdCgroupsPath, requireSystemd, resolveCgroupPath } from './path';
import type { Stats } from './stats';
import { V1Cgroups } from './v1';
import { V2Cgroups } from './v2';

/** What state.json keeps: enough to reopen the driver without the config. */
export interface CgroupRecord {
  driver: 'v1' | 'v2' | 'hybrid';
  /** Directory by hierarchy key: a v1 controller ("memory", "name=systemd") or "unified". */
  dirs: Record<string, string>;
  /** With --systemd-cgroup: the container's scope unit and its slice (src/cgroups/systemd/). */
  systemd?: { unit: string; slice: string };
}

export type { FreezerState } from './freezer-state';
import type { FreezerState } from './freezer-state';

/** How the launcher puts the init into the cgroup before it runs. */
export interface CgroupPlacement {
  /** A cgroup2 directory for clone3(CLONE_INTO_CGROUP); also in procsFiles as the fallback. */
  intoCgroup?: string;
  /** cgroup.procs files the launcher writes the init's pid to (when clone3 did not place it). */
  procsFiles: string[];
}

export interface CgroupManager {
  readonly record: CgroupRecord;
  /** Makes the directories and writes the resources (device rules included: the config's,
   * then the defaults; `linuxDevices` is linux.devices); on failure removes what it made. */
  create(resources: Resources | undefined, linuxDevices?: readonly Device[], firstPid?: number): void;
  /** `sub`: sub-cgroups (exec --cgroup) by v1 controller, or "" for the v2 one; they must exist. */
  placement(sub?: Record<string, string>): CgroupPlacement;
  /** Writes changed resources into the live cgroup (`tsrunc update`); device rules only when
   * `resources.devices` is given. */
  update(resources: Resources): void;
  freeze(): void;
  thaw(): void;
  freezerState(): FreezerState;
  /** Every process in the container's cgroup (and the cgroups below it). */
  pids(): number[];
  /** Sends signal to every process in the cgroup, the container frozen meanwhile so none escapes by forking. */
  signalAll(signal: number): void;
  stats(): Stats;
  /** How many processes the OOM killer has killed in the cgroup. */
  oomKills(): number;
  /**
   * Removes the cgroup once it is empty, waiting a few seconds for dying processes. With
   * killRemaining (a container without its own pid namespace, whose processes outlive the init,
   * as runc does), whatever is left is killed first. A cgroup other processes still use (another
   * container with the same cgroupsPath) is left, and said so in the notes returned. Safe to call
   * twice.
   */
  destroy(killRemaining: boolean): string[];
  /** True when create() needs the pid of the container's first process as its third argument
   * (systemd makes a scope only around a process): it is then called once the launcher exists. */
  readonly createsWithPid?: boolean;
}

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
      return V2Cgroups.forNew(unified, resolveCgroupPath(cgroupsPath, opts.id, unified.ownPath));
    }
    case 'v1':
    case 'hybrid':
      return V1Cgroups.forNew(host, cgroupsPath, opts.id);
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
  return record.driver === 'v2' ? V2Cgroups.fromRecord(record) : V1Cgroups.fromRecord(record);
}

/** Loaded only for containers that use it. */
function systemdDriver(): typeof import('./systemd/driver') {
  return require('./systemd/driver') as typeof import('./systemd/driver');
}
