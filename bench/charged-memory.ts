// Peak memory charged to a memory cgroup of the bench's own, one fresh cgroup per measured run:
// what a memory limit on the caller would count (the process's private memory, the kernel's for
// it, and page cache it brings in), unlike peak RSS, which also counts every page of the
// executable it maps from the page cache, pages that are clean, shared by every process running
// that executable, and charged to whoever first read them. Both figures are printed: RSS for
// issue 33's target as it was set, this one for what a command costs the machine.
//
// The cgroup is made under the root of the memory hierarchy (cgroup v1: memory.max_usage_in_bytes;
// cgroup v2 with the memory controller enabled at the root: memory.peak), never under the cgroup
// the bench itself runs in, and removed after each run.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ChargedMemory {
  /** Which file the figure comes from, for the bench's header. */
  readonly source: string;
  /** Runs argv (stdout discarded, stderr to errFile) in a fresh cgroup; its peak charge in KiB. */
  peakKb(argv: string[], errFile: string): { ok: boolean; kb?: number };
}

interface Hierarchy { root: string; peakFile: string; source: string }

function hierarchy(): Hierarchy | undefined {
  const v1 = '/sys/fs/cgroup/memory';
  if (fs.existsSync(path.join(v1, 'memory.max_usage_in_bytes'))) {
    return { root: v1, peakFile: 'memory.max_usage_in_bytes', source: 'cgroup v1 memory.max_usage_in_bytes' };
  }
  const v2 = '/sys/fs/cgroup';
  const words = (f: string): string[] => {
    try { return fs.readFileSync(path.join(v2, f), 'utf8').trim().split(/\s+/); } catch { return []; }
  };
  if (words('cgroup.subtree_control').includes('memory')) return { root: v2, peakFile: 'memory.peak', source: 'cgroup v2 memory.peak' };
  return undefined;
}

let seq = 0;

/** The meter, or why there is none (no memory hierarchy the bench may use is mounted). */
export function chargedMemory(): ChargedMemory | string {
  const h = hierarchy();
  if (!h) return 'no cgroup v1 memory hierarchy, nor cgroup v2 with memory enabled at its root';
  const probe = path.join(h.root, `tsrunc-bench-${process.pid}-probe`);
  try {
    fs.mkdirSync(probe);
    fs.rmdirSync(probe);
  } catch (e) {
    return `cannot make a cgroup under ${h.root}: ${(e as Error).message}`;
  }
  return {
    source: h.source,
    peakKb(argv: string[], errFile: string): { ok: boolean; kb?: number } {
      const dir = path.join(h.root, `tsrunc-bench-${process.pid}-${++seq}`);
      fs.mkdirSync(dir);
      try {
        const errFd = fs.openSync(errFile, 'w');
        let status: number | null;
        try {
          // The shell moves itself in, then becomes the command: nothing of the bench is charged.
          status = spawnSync('/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', path.join(dir, 'cgroup.procs'), ...argv],
            { stdio: ['ignore', 'ignore', errFd] }).status;
        } finally {
          fs.closeSync(errFd);
        }
        const kb = Math.round(Number(fs.readFileSync(path.join(dir, h.peakFile), 'utf8').trim()) / 1024);
        return { ok: status === 0, kb: Number.isFinite(kb) ? kb : undefined };
      } finally {
        removeCgroup(dir);
      }
    },
  };
}

/** The processes it held have been reaped; the kernel may still be letting them go. */
function removeCgroup(dir: string): void {
  for (let i = 0; ; i++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EBUSY' || i >= 50) throw e;
      spawnSync('sleep', ['0.02']);
    }
  }
}
