// The cgroup v1 driver, also used on hybrid hosts: one directory per mounted hierarchy (runc's
// layout), resources written with v1's files (v1-resources.ts), the v1 freezer. On a hybrid host
// the container also gets a directory in the unified hierarchy, which holds the controllers v1
// lacks there (hugetlb on this project's CI host), handled by a UnifiedPart the v2 driver provides
// (manager.ts passes it in: the drivers never import each other); runc leaves it alone.
import { path } from '../sys/path';
import type { Device, Resources } from '../config/types';
import { TsruncError } from '../errors';
import {
  CgroupInUseError, FOREIGN_PROCESS_GRACE_MS, cgroupExists, removeMadeDirs, cgroupPids, dirInMount, subCgroupDir, makeCgroupDir, readCgroupFile, removeCgroupDir, writeCgroupFile,
} from './files';
import { signalEveryProcess, waitForFreezer, type FreezerFiles } from './freezer';
import type { CgroupHost } from './host';
import { v1FreezerState, type FreezerState } from './freezer-state';
import { resolveCgroupPath } from './path';
import { readOomKillCount, type Stats } from './stats';
import type { CgroupManager, CgroupPlacement, CgroupRecord, CgroupWrite, UnifiedPart, UnifiedPartFor } from './types';
import { anyOf, findFirst, mapped } from '../text';

// Limits and statistics are loaded where they are used: delete, kill and pause write no limit and
// read no statistic, and loading that code took delete's heap past the size at which
// JavaScriptCore starts a warm-up thread (0.3 ms of delete; docs/performance.md).
const limitWrites = (): typeof import('./v1-resources') => require('./v1-resources');
const statistics = (): typeof import('./stats-v1') => require('./stats-v1');

const UNIFIED = 'unified';

export class V1Cgroups implements CgroupManager {
  /** Directories made by create(), outermost first, to undo a failed create. */
  private made: string[] = [];

  private readonly unifiedPart?: UnifiedPart;

  private constructor(readonly record: CgroupRecord, unifiedPartFor: UnifiedPartFor) {
    const unified = record.dirs[UNIFIED];
    if (unified !== undefined) this.unifiedPart = unifiedPartFor(unified);
  }

  static forNew(host: CgroupHost, cgroupsPath: string | undefined, id: string, unifiedPartFor: UnifiedPartFor): V1Cgroups {
    const dirs: Record<string, string> = {};
    for (const h of host.v1) {
      const dir = dirInMount(h.mountPoint, h.mountRoot, resolveCgroupPath(cgroupsPath, id, h.ownPath));
      for (const c of h.controllers) dirs[c] = dir;
      if (h.name) dirs[`name=${h.name}`] = dir;
    }
    const u = host.unified;
    if (host.kind === 'hybrid' && u) dirs[UNIFIED] = dirInMount(u.mountPoint, u.mountRoot, resolveCgroupPath(cgroupsPath, id, u.ownPath));
    return new V1Cgroups({ driver: host.kind === 'hybrid' ? 'hybrid' : 'v1', dirs }, unifiedPartFor);
  }

  static fromRecord(record: CgroupRecord, unifiedPartFor: UnifiedPartFor): V1Cgroups {
    return new V1Cgroups(record, unifiedPartFor);
  }

  private get dirs(): Record<string, string> { return this.record.dirs; }

  private uniqueDirs(): string[] {
    return [...new Set(Object.values(this.dirs))];
  }

  create(resources: Resources | undefined, linuxDevices?: readonly Device[]): void {
    try {
      for (const dir of this.uniqueDirs()) this.made.push(...makeCgroupDir(dir));
      if (this.dirs.cpuset) this.inheritCpuset(this.dirs.cpuset);
      if (this.freezerState() !== 'thawed') throw new TsruncError(`cannot create a container in the frozen cgroup ${this.dirs.freezer}`);
      this.apply(resources ?? {}, { creating: true, linuxDevices });
    } catch (e) {
      removeMadeDirs(this.made.splice(0));
      throw e;
    }
  }

  /** A new v1 cpuset cgroup has no cpus and no mems, and nothing can join it until they are set. */
  private inheritCpuset(dir: string): void {
    const chain: string[] = [];
    for (let d = dir; cgroupExists(path.dirname(d)); d = path.dirname(d)) chain.unshift(d);
    for (const d of chain) {
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        if ((readCgroupFile(d, file) ?? '') === '') writeCgroupFile(d, file, readCgroupFile(path.dirname(d), file) ?? '');
      }
    }
  }

  update(resources: Resources): void {
    this.apply(resources, { creating: false });
  }

  private apply(resources: Resources, how: { creating: boolean; linuxDevices?: readonly Device[] }): void {
    const read = (controller: string, file: string): string | undefined => {
      const dir = this.dirs[controller];
      return dir ? readCgroupFile(dir, file) : undefined;
    };
    const unified = this.unifiedPart;
    // hugetlb has no v1 hierarchy on many hybrid hosts; the unified one takes its limits.
    const hugetlbInUnified = !this.dirs.hugetlb && unified !== undefined && (resources.hugepageLimits?.length ?? 0) > 0;
    const v1Part: Resources = hugetlbInUnified ? { ...resources, hugepageLimits: undefined } : resources;
    // An update that names no device rules leaves them alone (v1Writes would reset them to the defaults).
    const keepDevices = how.creating || resources.devices !== undefined;
    for (const w of limitWrites().v1Writes(v1Part, read, how.linuxDevices)) if (keepDevices || w.controller !== 'devices') this.write(w);
    if (hugetlbInUnified && unified) unified.writeHugetlb(resources.hugepageLimits ?? []);
  }

  private write(w: CgroupWrite): void {
    const dir = this.dirs[w.controller];
    if (!dir) throw new TsruncError(`cannot set ${w.controller} limit (${w.file}): the ${w.controller} controller is not mounted on this host`);
    writeCgroupFile(dir, w.file, w.value);
  }

  placement(sub: Record<string, string> = {}): CgroupPlacement {
    for (const ctrl of Object.keys(sub)) {
      if (ctrl !== '' && !this.dirs[ctrl]) throw new TsruncError(`--cgroup: no ${ctrl} controller in this container's cgroups`);
    }
    // A path alone (runc's parser allows it only by itself) is the same sub-cgroup in every
    // hierarchy, as runc does; otherwise a hierarchy's sub-cgroup is taken from any of its
    // controllers named in `sub`.
    const dirFor = (dir: string): string => {
      if (sub[''] !== undefined) return subCgroupDir(dir, sub['']);
      const ctrl = findFirst(Object.keys(this.dirs), (c) => this.dirs[c] === dir && sub[c] !== undefined);
      return ctrl ? subCgroupDir(dir, sub[ctrl]) : dir;
    };
    const procsFiles = mapped(this.uniqueDirs(), (d) => path.join(dirFor(d), 'cgroup.procs'));
    const unified = this.dirs[UNIFIED];
    return unified ? { intoCgroup: dirFor(unified), procsFiles } : { procsFiles };
  }

  private freezerFiles(dir: string): FreezerFiles {
    return {
      request: (frozen) => writeCgroupFile(dir, 'freezer.state', frozen ? 'FROZEN' : 'THAWED'),
      settled: (frozen) => readCgroupFile(dir, 'freezer.state') === (frozen ? 'FROZEN' : 'THAWED'),
    };
  }

  freeze(): void {
    const dir = this.requireFreezer();
    waitForFreezer(dir, this.freezerFiles(dir), true);
  }

  thaw(): void {
    const dir = this.requireFreezer();
    waitForFreezer(dir, this.freezerFiles(dir), false);
  }

  private requireFreezer(): string {
    const dir = this.dirs.freezer;
    if (!dir) throw new TsruncError('the freezer cgroup controller is not mounted on this host');
    return dir;
  }

  freezerState(): FreezerState {
    return v1FreezerState(this.dirs.freezer);
  }

  pids(): number[] {
    // Every hierarchy holds the same processes; pids (or any mounted one) is as good as another.
    const dir = this.dirs.pids ?? this.dirs.freezer ?? this.uniqueDirs()[0];
    return dir ? cgroupPids(dir) : [];
  }

  signalAll(signal: number): void {
    signalEveryProcess({ canFreeze: () => this.dirs.freezer !== undefined && cgroupExists(this.dirs.freezer), freezerState: () => this.freezerState(), freeze: () => this.freeze(), thaw: () => this.thaw(), pids: () => this.pids() }, signal);
  }

  stats(): Stats {
    const stats = statistics().readStatsV1(this.dirs);
    if (!this.dirs.hugetlb && this.unifiedPart) {
      const hugetlb = this.unifiedPart.readHugetlb();
      if (Object.keys(hugetlb).length > 0) stats.hugetlb = hugetlb;
    }
    return stats;
  }

  oomKills(): number {
    return this.dirs.memory ? readOomKillCount(this.dirs.memory, 'v1') : 0;
  }

  destroy(killRemaining: boolean): string[] {
    const alive = () => anyOf(this.uniqueDirs(), cgroupExists);
    if (!alive()) return [];
    if (killRemaining && this.pids().length > 0) this.signalAll(9);
    const notes: string[] = [];
    // Every hierarchy holds the same processes: once one is found shared, the others need no
    // grace. Processes killed here are ours: waited for as long as it takes.
    let graceMs = killRemaining ? 5000 : FOREIGN_PROCESS_GRACE_MS;
    for (const dir of this.uniqueDirs()) {
      try {
        removeCgroupDir(dir, 5000, graceMs);
      } catch (e) {
        if (!(e instanceof CgroupInUseError)) throw e;
        notes.push(e.message);
        graceMs = 0;
      }
    }
    return notes;
  }
}
