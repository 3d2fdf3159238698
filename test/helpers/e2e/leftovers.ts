// What a deleted container must not leave behind, looked for the way an operator would: its
// state directory in the runtime's root, its cgroup in any hierarchy, host mounts and processes
// that carry its id. Also the removal of the tests' own parent cgroups at the end.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { hostMountsMentioning, relatedProcesses, processAlive, sleep } from '../runtime';

/** Mount points of every cgroup hierarchy (v1 controllers, name=systemd, the unified one). */
export function cgroupHierarchies(): string[] {
  const found: string[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fstype = line.slice(sep + 3).split(' ')[0];
    if (fstype === 'cgroup' || fstype === 'cgroup2') found.push(line.split(' ')[4]);
  }
  return found;
}

/** `rel` (e.g. "/ns/id") as a directory in each hierarchy where it exists. */
export function cgroupDirs(rel: string): string[] {
  return cgroupHierarchies().map((h) => path.join(h, rel)).filter((d) => fs.existsSync(d));
}

/**
 * Removes `rel` and the cgroups below it in every hierarchy, deepest first. Only empty cgroups
 * can go: processes still inside (a dying shim) get a few retries. Returns what stayed.
 */
export async function removeCgroupTree(rel: string, timeoutMs = 5_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left: string[] = [];
    for (const top of cgroupDirs(rel)) {
      for (const dir of [...subdirs(top), top].sort((a, b) => b.length - a.length)) {
        try {
          fs.rmdirSync(dir);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') left.push(dir);
        }
      }
    }
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(100);
  }
}

function subdirs(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const p = path.join(dir, e.name);
    out.push(p, ...subdirs(p));
  }
  return out;
}

export interface LeftoverQuery {
  id: string;
  /** The runtime's state directory for this container. */
  stateDir: string;
  /** The container's cgroup path relative to each hierarchy's root. */
  cgroup: string;
}

/** Everything of the container still there after the client deleted it; polls briefly. */
export async function leftovers(q: LeftoverQuery, timeoutMs = 3_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found: string[] = [];
    if (fs.existsSync(q.stateDir)) found.push(`state directory ${q.stateDir}`);
    for (const d of cgroupDirs(q.cgroup)) found.push(`cgroup ${d}`);
    for (const m of hostMountsMentioning([q.id])) found.push(`mount ${m}`);
    for (const p of relatedProcesses({ ids: [q.id] })) {
      if (processAlive(p.pid)) found.push(`process ${p.pid} (${p.cmdline}): ${p.why}`);
    }
    if (found.length === 0 || Date.now() > deadline) return found;
    await sleep(100);
  }
}

/** Kills (SIGKILL) the live processes whose command line mentions `marker`, e.g. a private socket path. */
export function killProcessesMentioning(marker: string): number[] {
  const killed: number[] = [];
  for (const p of relatedProcesses({ paths: [marker] })) {
    if (!p.why.startsWith('command line') || !processAlive(p.pid)) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
      killed.push(p.pid);
    } catch { /* gone meanwhile */ }
  }
  return killed;
}
