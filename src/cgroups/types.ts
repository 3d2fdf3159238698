// Shared shapes of the cgroup drivers (src/cgroups/v1.ts, v2.ts): the interface the rest of tsrunc
// uses, the record state.json keeps, what a driver is asked to write, and the device rules both kinds of host enforce (v1 as devices.allow/deny lines, v2 as an eBPF
// program). The mappings from linux.resources to files are pure functions (v1-resources.ts,
// v2-resources.ts), so they are tested without a hierarchy; the drivers only apply them.
import type { Device, HugepageLimit, Resources } from '../config/types';
import type { LaunchPlan } from '../plan/types';
import type { Hugetlb, Stats } from './stats';

export type FreezerState = 'thawed' | 'freezing' | 'frozen';

/** One file write. `controller` picks the hierarchy on v1 ("memory", "cpu", ...); on v2 the
 * file's own prefix names the controller and the write goes to the container's one directory. */
export interface CgroupWrite {
  controller: string;
  file: string;
  value: string;
}

/** A device rule after normalisation: -1 is the wildcard major/minor, type "a" matches all. */
export interface DeviceRule {
  allow: boolean;
  type: 'a' | 'b' | 'c';
  major: number;
  minor: number;
  /** Some of "rwm", in that order; never empty. */
  access: string;
}

/** How a driver reads a current value when a write depends on it (update ordering); undefined
 * when the file does not exist. */
export type CgroupReader = (controller: string, file: string) => string | undefined;

/** What state.json keeps: enough to reopen the driver without the config. */
export interface CgroupRecord {
  driver: 'v1' | 'v2' | 'hybrid';
  /** Directory by hierarchy key: a v1 controller ("memory", "name=systemd") or "unified". */
  dirs: Record<string, string>;
  /** With --systemd-cgroup: the container's scope unit and its slice (src/cgroups/systemd/). */
  systemd?: { unit: string; slice: string };
}

/** How the launcher puts the init into the cgroup before it runs (the plan's `cgroup`): a cgroup2
 * directory for clone3(CLONE_INTO_CGROUP), and the cgroup.procs files it writes the pid to. */
export type CgroupPlacement = NonNullable<LaunchPlan['cgroup']>;

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
  /** Called once the container's init exists, before it runs the user's program: the systemd
   * driver sets the task limit then (its scope also holds the launcher until then). */
  afterInit?(): void;
}

/** The cgroup2 directory a v1 container also gets on a hybrid host, for the controllers v1 lacks
 * there (hugetlb): written and read the v2 way, so the v2 driver provides it (manager.ts). */
export interface UnifiedPart {
  /** Writes hugetlb limits, enabling the controller in the ancestors first. */
  writeHugetlb(limits: readonly HugepageLimit[]): void;
  /** Hugetlb statistics; {} when the controller is not enabled there. */
  readHugetlb(): Record<string, Hugetlb>;
}
export type UnifiedPartFor = (dir: string) => UnifiedPart;
