// What kind of cgroup host this is, read from /proc/self/mountinfo and /proc/self/cgroup: pure v2
// (one cgroup2 mount), v1 (one mount per hierarchy), or hybrid (v1 controllers plus a cgroup2 mount,
// usually at /sys/fs/cgroup/unified, holding the controllers v1 does not have). The drivers of
// src/cgroups/ are chosen from this; nothing here writes to a hierarchy.
import { path } from '../sys/path';
import { readText } from '../sys/files';
import { allOf, anyOf, findFirst, kept, unescapeOctal, words } from '../text';

export type CgroupHostKind = 'v2' | 'v1' | 'hybrid' | 'none';

export interface V1Hierarchy {
  /** Kernel controllers of this hierarchy (cpu, cpuacct, ...); empty for a named one. */
  controllers: string[];
  /** name=... of a named hierarchy (systemd's), if any. */
  name?: string;
  mountPoint: string;
  /** The hierarchy path mounted at mountPoint ("/" unless a bind of a sub-cgroup). */
  mountRoot: string;
  /** This process's cgroup in the hierarchy, from /proc/self/cgroup. */
  ownPath: string;
}

export interface UnifiedHierarchy {
  mountPoint: string;
  mountRoot: string;
  ownPath: string;
  /** What cgroup.controllers at the mount point lists (only hugetlb on this project's CI host). */
  controllers: string[];
}

export interface CgroupHost {
  kind: CgroupHostKind;
  v1: V1Hierarchy[];
  unified?: UnifiedHierarchy;
}


interface CgroupMount { fsType: 'cgroup' | 'cgroup2'; mountPoint: string; mountRoot: string; superOptions: string[] }

function cgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const head = line.slice(0, dash).split(' ');
    const [fsType, , superOptions = ''] = line.slice(dash + 3).split(' ');
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    out.push({ fsType, mountRoot: unescapeOctal(head[3]), mountPoint: unescapeOctal(head[4]), superOptions: superOptions.split(',') });
  }
  return out;
}

/** "4:cpu,cpuacct:/a/b" lines → controller list ("" for the unified line) → path. */
function ownCgroups(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const a = line.indexOf(':');
    const b = line.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    out.set(line.slice(a + 1, b), line.slice(b + 1));
  }
  return out;
}

/** Reads the host's cgroup layout. `proc` is /proc; tests point it at a fake tree. */
export function detectCgroupHost(proc = '/proc'): CgroupHost {
  const read = (f: string): string => {
    try { return readText(path.join(proc, f)); } catch { return ''; }
  };
  const mounts = cgroupMounts(read('self/mountinfo'));
  const own = ownCgroups(read('self/cgroup'));
  // The v1 lines' controller lists, each split once.
  const ownLists: { key: string; parts: string[] }[] = [];
  for (const key of own.keys()) if (key !== '') ownLists.push({ key, parts: key.split(',') });
  const v1: V1Hierarchy[] = [];
  const seen = new Set<string>();
  let unified: UnifiedHierarchy | undefined;
  for (const m of mounts) {
    if (m.fsType === 'cgroup2') {
      if (unified) continue; // the first mount of the hierarchy stands for it
      let controllers: string[] = [];
      try {
        controllers = words(readText(path.join(m.mountPoint, 'cgroup.controllers')));
      } catch { /* a cgroup2 mount we cannot read lists nothing */ }
      unified = { mountPoint: m.mountPoint, mountRoot: m.mountRoot, ownPath: own.get('') ?? '/', controllers };
      continue;
    }
    const name = findFirst(m.superOptions, (o) => o.startsWith('name='))?.slice(5);
    const known = new Set(m.superOptions);
    // /proc/self/cgroup names the hierarchy by the same list the mount has, in the kernel's order.
    const line = findFirst(ownLists, (l) => allOf(l.parts, (c) => known.has(c)));
    if (!line || seen.has(line.key)) continue;
    const key = line.key;
    seen.add(key);
    const controllers = kept(line.parts, (c) => !c.startsWith('name='));
    v1.push({ controllers, ...(name ? { name } : {}), mountPoint: m.mountPoint, mountRoot: m.mountRoot, ownPath: own.get(key) ?? '/' });
  }
  const hasV1Controllers = anyOf(v1, (h) => h.controllers.length > 0);
  const kind: CgroupHostKind = hasV1Controllers ? (unified ? 'hybrid' : 'v1') : unified ? 'v2' : 'none';
  return { kind, v1, ...(unified ? { unified } : {}) };
}

let cached: CgroupHost | undefined;

/** This host's layout, read once per invocation (create's warm-up and its driver both ask). */
export function thisCgroupHost(): CgroupHost {
  cached ??= detectCgroupHost();
  return cached;
}
