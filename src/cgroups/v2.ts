// The cgroup v2 driver: one directory in the unified hierarchy, the controllers it needs enabled in
// every ancestor's cgroup.subtree_control, resources written with v2's files (v2-resources.ts),
// device rules as an eBPF program attached to the directory, cgroup.freeze and cgroup.kill.
import { path } from '../sys/path';
import type { Device, Resources } from '../config/types';
import { TsruncError } from '../errors';
import { addon } from '../native/addon';
import { exists } from '../sys/files';
import { words } from '../text';
import { runningRootless } from '../linux/rootless';
import {
  CgroupInUseError, FOREIGN_PROCESS_GRACE_MS, cgroupExists, removeMadeDirs, cgroupPids, makeCgroupDir, readCgroupFile, removeCgroupDir, writeCgroupFile,
} from './files';
import { dirInMount, subCgroupDir } from './files';
import { signalEveryProcess, waitForFreezer, type FreezerFiles } from './freezer';
import type { UnifiedHierarchy } from './host';
import { v2FreezerState, type FreezerState } from './freezer-state';
import { hugePageSizes, readOomKillCount, type Stats } from './stats';
import type { CgroupManager, CgroupPlacement, CgroupRecord, UnifiedPart } from './types';

// Limits, device programs and statistics are loaded where they are used (see v1.ts).
const limitWrites = (): typeof import('./v2-resources') => require('./v2-resources');
const statistics = (): typeof import('./stats-v2') => require('./stats-v2');
const deviceRuleCode = (): typeof import('./devices') => require('./devices');
const deviceProgramCode = (): typeof import('./device-program') => require('./device-program');


/**
 * Makes `wanted` controllers available in `dir` by enabling them in the subtree_control of each
 * ancestor, from the hierarchy's root down. A controller the root does not have is an error that
 * names it; one already enabled is left alone.
 */
export function enableControllers(dir: string, wanted: string[]): void {
  if (wanted.length === 0) return;
  const chain: string[] = [];
  for (let d = path.dirname(dir); cgroupExists(d); d = path.dirname(d)) {
    chain.unshift(d);
    if (d === path.dirname(d)) break;
  }
  for (const ancestor of chain) {
    const available = new Set(words(readCgroupFile(ancestor, 'cgroup.controllers') ?? ''));
    const enabled = new Set(words(readCgroupFile(ancestor, 'cgroup.subtree_control') ?? ''));
    for (const c of wanted) {
      if (enabled.has(c)) continue;
      if (!available.has(c)) throw new TsruncError(`cannot enable the ${c} controller: ${ancestor} does not have it (cgroup.controllers: ${[...available].join(' ') || 'none'})`);
      writeCgroupFile(ancestor, 'cgroup.subtree_control', `+${c}`);
    }
  }
}

/** enableControllers for the ones the container could use without needing them: each ancestor's
 * refusal (not its owner, processes inside it) leaves that controller out. */
function enableControllersIfAllowed(dir: string, wanted: string[]): void {
  for (const c of wanted) {
    try { enableControllers(dir, [c]); } catch { /* not needed by any limit: left out */ }
  }
}

/**
 * A new cgroup below one that holds processes and has threaded controllers enabled (a user's own
 * cgroup, say) is "domain invalid": no process may enter it. As runc, it is made threaded (a limit
 * needing a domain controller has already failed, enabling it in that parent).
 */
function settleInvalidDomains(dirs: string[]): void {
  for (const d of dirs) {
    if (readCgroupFile(d, 'cgroup.type') === 'domain invalid') writeCgroupFile(d, 'cgroup.type', 'threaded');
  }
}

/** A hugetlb page size the host does not have would fail as "permission denied" on a file that
 * does not exist; this says what is wrong instead. */
export function checkHugePageSizes(limits: Resources['hugepageLimits']): void {
  if (!limits?.length) return;
  const sizes = hugePageSizes();
  for (const [i, l] of limits.entries()) {
    if (!sizes.includes(l.pageSize)) {
      throw new TsruncError(`linux.resources.hugepageLimits[${i}]: page size ${l.pageSize} is not one of this host's (${sizes.join(', ') || 'none'})`);
    }
  }
}

/** The unified-hierarchy directory of a hybrid host's v1 container (hugetlb only). */
export function hybridUnifiedPart(dir: string): UnifiedPart {
  return {
    writeHugetlb(limits) {
      checkHugePageSizes([...limits]);
      const { writes, controllers } = limitWrites().v2Writes({ hugepageLimits: [...limits] }, (_c, file) => readCgroupFile(dir, file));
      enableControllers(dir, controllers);
      for (const w of writes) writeCgroupFile(dir, w.file, w.value);
    },
    readHugetlb: () => (cgroupExists(dir) ? statistics().readHugetlbV2(dir) : {}),
  };
}

/** Every controller the parent of dir offers; runc enables them all for the container. */
function parentControllers(dir: string): string[] {
  return words(readCgroupFile(path.dirname(dir), 'cgroup.controllers') ?? '');
}

export class V2Cgroups implements CgroupManager {
  private made: string[] = [];

  private constructor(readonly record: CgroupRecord) {}

  static forNew(unified: UnifiedHierarchy, cgroupPath: string): V2Cgroups {
    return new V2Cgroups({ driver: 'v2', dirs: { unified: dirInMount(unified.mountPoint, unified.mountRoot, cgroupPath) } });
  }

  static fromRecord(record: CgroupRecord): V2Cgroups {
    return new V2Cgroups(record);
  }

  private get dir(): string { return this.record.dirs.unified; }

  create(resources: Resources | undefined, linuxDevices?: readonly Device[]): void {
    try {
      // The ancestors get their controllers before the directory exists, so it is born with them.
      const { controllers } = limitWrites().v2Writes(resources ?? {}, () => undefined);
      const existingParent = (() => { let d = path.dirname(this.dir); while (!cgroupExists(d)) d = path.dirname(d); return d; })();
      const everything = new Set([...controllers, ...words(readCgroupFile(existingParent, 'cgroup.controllers') ?? '')]);
      this.made = makeCgroupDir(this.dir);
      // What the limits need must be enabled; the rest runc enables too, as far as it may (a
      // delegated subtree's user cannot write the ancestors above it).
      enableControllers(this.dir, controllers.filter((c) => c !== 'threaded'));
      enableControllersIfAllowed(this.dir, [...everything].filter((c) => c !== 'threaded'));
      settleInvalidDomains([...new Set([...this.made, this.dir])]);
      if (this.freezerState() !== 'thawed') throw new TsruncError(`cannot create a container in the frozen cgroup ${this.dir}`);
      this.apply(resources ?? {}, { creating: true, linuxDevices });
    } catch (e) {
      removeMadeDirs(this.made.splice(0));
      throw e;
    }
  }

  update(resources: Resources): void {
    this.apply(resources, { creating: false });
  }

  private apply(resources: Resources, how: { creating: boolean; linuxDevices?: readonly Device[] }): void {
    checkHugePageSizes(resources.hugepageLimits);
    const { writes, controllers } = limitWrites().v2Writes(resources, (_c, file) => readCgroupFile(this.dir, file));
    const offered = new Set(parentControllers(this.dir));
    for (const c of controllers) {
      if (!offered.has(c)) throw new TsruncError(`cannot set ${c} limits: the ${c} controller is not available in ${path.dirname(this.dir)}`);
    }
    for (const w of writes) writeCgroupFile(this.dir, w.file, w.value);
    // A program replaces the previous one whole: at create always (the defaults at least), on
    // update only when rules are given.
    if (how.creating || resources.devices !== undefined) {
      try {
        addon().setDeviceProgram(this.dir, deviceProgramCode().deviceProgram(deviceRuleCode().deviceRules(resources, how.linuxDevices)));
      } catch (e) {
        // As runc: a rootless runtime may not load BPF programs, and its container, in a user
        // namespace, cannot make device nodes anyway.
        if (!(runningRootless('auto') && (e as NodeJS.ErrnoException).code === 'EPERM')) throw e;
      }
    }
  }

  placement(sub: Record<string, string> = {}): CgroupPlacement {
    const keys = Object.keys(sub);
    if (keys.some((k) => k !== '')) throw new TsruncError('--cgroup: controller:path is for cgroup v1 hosts; give only a path on cgroup v2');
    const dir = keys.length ? subCgroupDir(this.dir, sub['']) : this.dir;
    return { intoCgroup: dir, procsFiles: [path.join(dir, 'cgroup.procs')] };
  }

  private freezerFiles(): FreezerFiles {
    return {
      request: (frozen) => writeCgroupFile(this.dir, 'cgroup.freeze', frozen ? '1' : '0'),
      settled: (frozen) => (v2FreezerState(this.dir) === 'frozen') === frozen,
    };
  }

  freeze(): void {
    this.requireFreezer();
    waitForFreezer(this.dir, this.freezerFiles(), true);
  }

  thaw(): void {
    this.requireFreezer();
    waitForFreezer(this.dir, this.freezerFiles(), false);
  }

  private requireFreezer(): void {
    if (readCgroupFile(this.dir, 'cgroup.freeze') === undefined) throw new TsruncError(`cgroup.freeze does not exist in ${this.dir}: this kernel has no cgroup v2 freezer`);
  }

  freezerState(): FreezerState {
    return v2FreezerState(this.dir);
  }

  pids(): number[] {
    return cgroupPids(this.dir);
  }

  signalAll(signal: number): void {
    // cgroup.kill (Linux 5.14) can only be written; its presence is the test.
    if (signal === 9 && exists(path.join(this.dir, 'cgroup.kill'))) {
      // One write kills every process in the subtree, forking ones included.
      writeCgroupFile(this.dir, 'cgroup.kill', '1');
      return;
    }
    signalEveryProcess({ canFreeze: () => readCgroupFile(this.dir, 'cgroup.freeze') !== undefined, freezerState: () => this.freezerState(), freeze: () => this.freeze(), thaw: () => this.thaw(), pids: () => this.pids() }, signal);
  }

  stats(): Stats {
    return statistics().readStatsV2(this.dir);
  }

  oomKills(): number {
    return readOomKillCount(this.dir, 'v2');
  }

  destroy(killRemaining: boolean): string[] {
    if (!cgroupExists(this.dir)) return [];
    if (killRemaining && this.pids().length > 0) this.signalAll(9);
    try { removeCgroupDir(this.dir, 5000, killRemaining ? 5000 : FOREIGN_PROCESS_GRACE_MS); } catch (e) { if (e instanceof CgroupInUseError) return [e.message]; throw e; }
    return [];
  }
}
