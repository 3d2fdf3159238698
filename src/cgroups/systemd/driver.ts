// The systemd cgroup driver (--systemd-cgroup) on a cgroup v2 host: systemd makes the container's
// cgroup, as a transient scope unit (StartTransientUnit, mode "replace") holding the container's
// first process, with Delegate=yes and the resources it owns as unit properties (properties.ts);
// then everything is written to the scope's files exactly as the cgroupfs v2 driver does, which
// this driver wraps for all that needs no systemd (freeze, pids, stats, signals, exec placement).
// systemd cannot make a scope without a process in it, so the cgroup is made once the launcher
// (the parent of the init, like runc's `runc init`) exists: create() takes its pid.
import type { Device, Resources, Spec } from '../../config/types';
import { TsruncError } from '../../errors';
import type { CgroupHost } from '../host';
import { dirInMount, readCgroupFile } from '../files';
import type { CgroupManager, CgroupPlacement, CgroupRecord } from '../types';
import { V2Cgroups } from '../v2';
import type { FreezerState } from '../freezer-state';
import type { Stats } from '../stats';
import { annotationProperties } from '../../config/systemd-annotations';
import { deviceProperties } from './device-properties';
import { splitTaskLimit, systemdResources } from './properties';
import { deviceRules } from '../devices';
import { Variant } from '../../dbus/marshal';
import type { SystemdManager, UnitProperty } from './systemd-api';
import { systemdUnitPlace } from './unit-name';

/** How long a start or stop job may take (runc waits as long). */
const JOB_TIMEOUT_MS = 30_000;

/** Loaded on first use: the commands that need no D-Bus (pause, ps, kill --all...) never load it. */
function connectSystemd(): SystemdManager {
  const api = require('./systemd-api') as typeof import('./systemd-api');
  try {
    return api.SystemdManager.connect();
  } catch (e) {
    throw new TsruncError(`--systemd-cgroup: ${(e as Error).message}`);
  }
}

function isDBusError(e: unknown, name: string): boolean {
  return e instanceof Error && (e as { name?: unknown }).name === name;
}

/** Runs fn with a connection to systemd, closed afterwards. */
function withSystemd<T>(fn: (sd: SystemdManager) => T): T {
  const sd = connectSystemd();
  try {
    return fn(sd);
  } finally {
    sd.close();
  }
}

export class SystemdCgroups implements CgroupManager {
  /** create() needs the pid of the container's first process (see the file's comment). */
  readonly createsWithPid = true;
  private readonly files: V2Cgroups;
  /** What create() left for afterInit(), with the connection to do it on. */
  private pending: { sd: SystemdManager; resources: Resources } | undefined;

  private constructor(readonly record: CgroupRecord & { systemd: { unit: string; slice: string } }, private readonly extra: UnitProperty[] = [], private readonly description = '') {
    this.files = V2Cgroups.fromRecord(record);
  }

  static forNew(spec: Spec, id: string, host: CgroupHost): SystemdCgroups {
    if (host.kind !== 'v2' || !host.unified) {
      throw new TsruncError(`--systemd-cgroup: tsrunc's systemd driver supports pure cgroup v2 hosts only; this host's cgroups are ${host.kind}`);
    }
    const place = systemdUnitPlace(spec.linux?.cgroupsPath, id);
    // Annotations are checked now, before anything exists.
    const extra = annotationProperties(spec.annotations);
    const dir = dirInMount(host.unified.mountPoint, host.unified.mountRoot, place.cgroupPath);
    return new SystemdCgroups({ driver: 'v2', dirs: { unified: dir }, systemd: { unit: place.unit, slice: place.slice } }, extra, `tsrunc container ${id}`);
  }

  static fromRecord(record: CgroupRecord): SystemdCgroups {
    if (!record.systemd) throw new Error('SystemdCgroups.fromRecord: not a systemd record');
    return new SystemdCgroups(record as CgroupRecord & { systemd: { unit: string; slice: string } });
  }

  private get unit(): string { return this.record.systemd.unit; }

  create(resources: Resources | undefined, linuxDevices?: readonly Device[], firstPid?: number): void {
    if (firstPid === undefined) throw new Error('SystemdCgroups.create needs the pid of the container\'s first process');
    const { now, afterInit } = splitTaskLimit(resources ?? {});
    const { properties, resources: toWrite } = systemdResources(now);
    const props: UnitProperty[] = [
      ['Description', new Variant('s', this.description)],
      ['Slice', new Variant('s', this.record.systemd.slice)],
      ['Delegate', new Variant('b', true)],
      ['PIDs', new Variant('au', [firstPid])],
      // As runc: accounting on for every controller, so the cgroup has them all like the cgroupfs driver's.
      ['MemoryAccounting', new Variant('b', true)],
      ['CPUAccounting', new Variant('b', true)],
      ['IOAccounting', new Variant('b', true)],
      ['TasksAccounting', new Variant('b', true)],
      ['DefaultDependencies', new Variant('b', false)],
      ...properties,
      ...deviceProperties(deviceRules(resources, linuxDevices)),
      ...this.extra,
    ];
    const sd = connectSystemd();
    try {
      this.startUnit(sd, props);
    } catch (e) {
      sd.close();
      throw e;
    }
    if (afterInit) this.pending = { sd, resources: afterInit };
    else sd.close();
    // A failure here is undone by the caller's destroy(), once the launcher is gone: a stop job now
    // would wait for the launcher, which does not die of the SIGTERM systemd sends.
    this.files.create(toWrite, linuxDevices);
  }

  /**
   * The task limit, held back by create(): until the init exists the scope also holds the
   * launcher and its first fork, so a TasksMax below 3 would stop the init from being born (runc
   * sets every limit only once its init exists). Lowering pids.max below the tasks already there
   * is allowed: it only refuses new ones.
   */
  afterInit(): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    try {
      this.setProperties(pending.sd, systemdResources(pending.resources).properties);
    } finally {
      pending.sd.close();
    }
    this.files.update(pending.resources);
  }

  private startUnit(sd: SystemdManager, props: UnitProperty[]): void {
    let result: string;
    try {
      try {
        result = sd.startTransientUnit(this.unit, 'replace', props, JOB_TIMEOUT_MS);
      } catch (e) {
        if (!isDBusError(e, 'org.freedesktop.systemd1.UnitExists')) throw e;
        // Perhaps a failed unit of an earlier container of that name: reset it and try once more.
        try { sd.resetFailedUnit(this.unit); } catch { /* it was not a failed one: the retry says why */ }
        result = sd.startTransientUnit(this.unit, 'replace', props, JOB_TIMEOUT_MS);
      }
    } catch (e) {
      this.forget(sd);
      throw new TsruncError(`--systemd-cgroup: systemd did not create ${this.unit} in ${this.record.systemd.slice}: ${(e as Error).message}`);
    }
    if (result !== 'done') {
      this.forget(sd);
      throw new TsruncError(`--systemd-cgroup: systemd's job to start ${this.unit} ended "${result}" (see systemd's log)`);
    }
  }

  /** A failed unit stays loaded until reset; nothing of a failed create may remain. */
  private forget(sd: SystemdManager): void {
    try { sd.resetFailedUnit(this.unit); } catch { /* not loaded (or not failed): nothing to forget */ }
  }

  /** StopUnit, waited for; a unit already gone (systemd drops an emptied scope) is fine. */
  private stopUnit(sd: SystemdManager): string[] {
    const notes: string[] = [];
    try {
      const result = sd.stopUnit(this.unit, 'replace', JOB_TIMEOUT_MS);
      if (result !== 'done') notes.push(`stopping ${this.unit}: systemd's job ended "${result}"`);
    } catch (e) {
      if (!isDBusError(e, 'org.freedesktop.systemd1.NoSuchUnit')) notes.push(`stopping ${this.unit}: ${(e as Error).message}`);
    }
    this.forget(sd);
    return notes;
  }

  update(resources: Resources): void {
    const { properties, resources: toWrite } = systemdResources(resources, (_c, file) => this.readFile(file));
    // Device rules only when given, as the files driver rewrites its program only then.
    if (resources.devices !== undefined) properties.push(...deviceProperties(deviceRules(resources)));
    if (properties.length > 0) withSystemd((sd) => this.setProperties(sd, properties));
    this.files.update(toWrite);
  }

  private setProperties(sd: SystemdManager, properties: UnitProperty[]): void {
    if (properties.length === 0) return;
    try {
      sd.setUnitProperties(this.unit, true, properties);
    } catch (e) {
      throw new TsruncError(`--systemd-cgroup: systemd did not take the new limits of ${this.unit}: ${(e as Error).message}`);
    }
  }

  private readFile(file: string): string | undefined {
    return readCgroupFile(this.record.dirs.unified, file);
  }

  placement(sub?: Record<string, string>): CgroupPlacement { return this.files.placement(sub); }
  freeze(): void { this.files.freeze(); }
  thaw(): void { this.files.thaw(); }
  freezerState(): FreezerState { return this.files.freezerState(); }
  pids(): number[] { return this.files.pids(); }
  signalAll(signal: number): void { this.files.signalAll(signal); }
  stats(): Stats { return this.files.stats(); }
  oomKills(): number { return this.files.oomKills(); }

  destroy(killRemaining: boolean): string[] {
    this.pending?.sd.close();
    this.pending = undefined;
    // Killed here at once: a stop job would send SIGTERM and wait the unit's TimeoutStopSec.
    if (killRemaining && this.files.pids().length > 0) this.files.signalAll(9);
    const notes = withSystemd((sd) => this.stopUnit(sd));
    // systemd removes the scope's cgroup; what is left (sub-cgroups the container made) goes here.
    return [...notes, ...this.files.destroy(killRemaining)];
  }
}
