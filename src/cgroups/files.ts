// Reading and writing cgroup files with errors a user can act on: the file, the value and the
// kernel's reason ("write 10 to /sys/fs/cgroup/pids/x/pids.max: invalid argument"), never Node's
// error codes. Shared by every driver.
import { path } from '../sys/path';
import { errnoText, TsruncError } from '../errors';
import { exists, mkdir, readdir, readText, rmdir, writeText, type DirEntry } from '../sys/files';
import { withoutFinalNewline } from '../text';

/** The kernel's reason for a failed call, in the words strerror uses (lower case). */
export const reason = errnoText;

export function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

export class CgroupFileError extends TsruncError {
  constructor(message: string, readonly code: string | undefined) {
    super(message);
  }
}

export function writeCgroupFile(dir: string, file: string, value: string): void {
  const target = path.join(dir, file);
  try {
    // One write(2) per value: the kernel parses each write as a whole.
    writeText(target, value);
  } catch (e) {
    throw new CgroupFileError(`write ${JSON.stringify(value)} to ${target}: ${reason(e)}`, errnoCode(e));
  }
}

/** The file's content without the trailing newline, or undefined when it does not exist. */
export function readCgroupFile(dir: string, file: string): string | undefined {
  try {
    return withoutFinalNewline(readText(path.join(dir, file)));
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ENODEV') return undefined;
    throw new CgroupFileError(`read ${path.join(dir, file)}: ${reason(e)}`, code);
  }
}

/** Where `cgroupPath` lives under a mount of the hierarchy whose root is `mountRoot`. */
export function dirInMount(mountPoint: string, mountRoot: string, cgroupPath: string): string {
  const rel = path.posix.relative(mountRoot, cgroupPath);
  if (rel.startsWith('..')) {
    throw new TsruncError(`cgroup ${cgroupPath} is outside the part of its hierarchy mounted at ${mountPoint} (${mountRoot})`);
  }
  return path.join(mountPoint, rel);
}

/** An existing cgroup below the container's (exec --cgroup); it never leads out of it. */
export function subCgroupDir(dir: string, sub: string): string {
  const target = path.join(dir, path.posix.normalize(`/${sub}`));
  if (!cgroupExists(target)) throw new TsruncError(`--cgroup: ${target} does not exist`);
  return target;
}

export function cgroupExists(dir: string): boolean {
  return exists(path.join(dir, 'cgroup.procs'));
}

/** mkdir -p; returns the directories it made, outermost first. */
export function makeCgroupDir(dir: string): string[] {
  const missing: string[] = [];
  for (let d = dir; !exists(d); d = path.dirname(d)) missing.unshift(d);
  for (const d of missing) {
    try {
      mkdir(d);
    } catch (e) {
      if (errnoCode(e) === 'EEXIST') continue;
      throw new CgroupFileError(`create cgroup ${d}: ${reason(e)}`, errnoCode(e));
    }
  }
  return missing;
}

/** Undoes makeCgroupDir calls (innermost first) after a failed create; the failure that led
 * here matters more than one of these. */
export function removeMadeDirs(made: string[]): void {
  for (const d of [...made].reverse()) {
    try { removeCgroupDir(d); } catch { /* the original error is reported */ }
  }
}

/** Pids listed in cgroup.procs of dir and of every cgroup below it. */
export function cgroupPids(dir: string): number[] {
  const out: number[] = [];
  const visit = (d: string): void => {
    const procs = readCgroupFile(d, 'cgroup.procs');
    if (procs === undefined) return;
    for (const line of procs.split('\n')) if (line) out.push(Number(line));
    let entries: DirEntry[] = [];
    try { entries = readdir(d); } catch { return; }
    for (const e of entries) if (e.isDirectory()) visit(path.join(d, e.name));
  };
  visit(dir);
  return out;
}

let sleepCell: Int32Array | undefined; // made on first use: most commands never sleep
export function sleepMs(ms: number): void {
  sleepCell ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(sleepCell, 0, 0, ms);
}

/** How long a cgroup that still lists processes we did not kill may take to empty before they
 * count as another container's: a pid namespace is empty once its init has been reaped, so only
 * processes already leaving remain by then. */
export const FOREIGN_PROCESS_GRACE_MS = 100;

/** A cgroup that cannot go because processes other than the container's are still in it (two
 * containers given the same cgroupsPath): runc leaves it too, and delete goes on. */
export class CgroupInUseError extends TsruncError {}

/**
 * Removes a cgroup and the cgroups below it, deepest first. The rmdir is tried first: a cgroup
 * without child cgroups and processes goes at once whatever control files it shows, and only a
 * busy one is listed for children. rmdir fails with EBUSY while a killed process is still
 * leaving, so it is retried for up to `timeoutMs`; but when the cgroup still lists processes
 * after `graceMs`, they are someone else's and CgroupInUseError says so.
 */
export function removeCgroupDir(dir: string, timeoutMs = 5000, graceMs = timeoutMs): void {
  const started = Date.now();
  for (let delay = 1; ; delay = Math.min(delay * 2, 100)) {
    try {
      rmdir(dir);
      return;
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'ENOENT') return;
      if (code === 'EBUSY' && Date.now() - started <= timeoutMs && removeChildCgroups(dir, timeoutMs, graceMs)) continue;
      const waited = Date.now() - started;
      if (code === 'EBUSY' && waited > graceMs) {
        const left = cgroupPids(dir);
        if (left.length > 0) throw new CgroupInUseError(`cgroup ${dir} is left in place: ${left.length} process(es) not of this container are still in it (pids ${left.slice(0, 5).join(', ')})`);
      }
      if (code !== 'EBUSY' || waited > timeoutMs) {
        throw new CgroupFileError(`remove cgroup ${dir}: ${reason(e)}`, code);
      }
    }
    sleepMs(delay);
  }
}

/** Removes the cgroups below dir; false when it has none (what keeps it busy is processes). */
function removeChildCgroups(dir: string, timeoutMs: number, graceMs: number): boolean {
  let children: DirEntry[] = [];
  try { children = readdir(dir); } catch { /* gone meanwhile: the next rmdir says so */ }
  const below = children.filter((c) => c.isDirectory());
  for (const c of below) removeCgroupDir(path.join(dir, c.name), timeoutMs, graceMs);
  return below.length > 0;
}
