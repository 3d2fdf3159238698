// Host directories for id-mapped mount tests: a scratch directory (0755, so a mapped root can
// search it) removed with whatever a failed case left mounted in it, and volumes in it with
// chosen owners.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { removeTree } from './rootfs';
import { hostMountsMentioning } from './runtime';

export function makeScratch(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

export function removeScratch(dir: string): void {
  if (!dir) return;
  for (const mp of hostMountsMentioning([dir]).map((l) => l.split(' ')[4]).sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', mp]);
  removeTree(dir);
}

/** A host directory owned by uid:gid on disk, with a file `hostfile` owned by uid+1000:gid+`gidStep`. */
export function volume(scratch: string, name: string, uid: number, gid: number, gidStep = 1000): string {
  const dir = path.join(scratch, name);
  fs.mkdirSync(dir);
  fs.chownSync(dir, uid, gid);
  fs.writeFileSync(path.join(dir, 'hostfile'), 'from the host\n');
  fs.chownSync(path.join(dir, 'hostfile'), uid + 1000, gid + gidStep);
  return dir;
}
