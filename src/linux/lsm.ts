// Which Linux security modules this host has enabled, so that a config asking for an AppArmor
// profile or an SELinux label is refused up front where the label could not be applied, rather
// than the container running unconfined. The checks are the ones runc relies on (libcontainer's
// apparmor package, go-selinux), re-derived from the kernel interfaces they read.
import * as files from '../sys/files';
import { path } from '../sys/path';

export interface LsmHost {
  apparmor: boolean;
  selinux: boolean;
}

/** Where the kernel's interfaces are read from; tests point these at a fake tree. */
export interface LsmRoots {
  sys: string;
  proc: string;
}

const HOST: LsmRoots = { sys: '/sys', proc: '/proc' };

function readText(file: string): string | undefined {
  try {
    return files.readText(file);
  } catch {
    return undefined;
  }
}

/**
 * The module parameter is 'Y' only when AppArmor is built in and was chosen at boot (the LSM
 * framework clears it otherwise); libapparmor's aa_is_enabled reads the same file. runc also
 * requires securityfs to show /sys/kernel/security/apparmor, but the profile is set through
 * /proc/<tid>/attr, which works whether or not securityfs is mounted.
 */
export function apparmorEnabled(roots: LsmRoots = HOST): boolean {
  return readText(path.join(roots.sys, 'module/apparmor/parameters/enabled'))?.startsWith('Y') === true;
}

/** Fields 5 (mount point), 6 (mount options) and, after " - ", fstype and super options. */
function selinuxfsMounts(mountinfo: string): { mountPoint: string; readonly: boolean }[] {
  const out: { mountPoint: string; readonly: boolean }[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const [fstype, , superOptions = ''] = line.slice(sep + 3).split(' ');
    if (fstype !== 'selinuxfs') continue;
    const fields = line.slice(0, sep).split(' ');
    if (fields.length < 6) continue;
    const ro = (opts: string): boolean => opts.split(',').includes('ro');
    out.push({ mountPoint: fields[4], readonly: ro(fields[5]) || ro(superOptions) });
  }
  return out;
}

/**
 * As go-selinux decides: the kernel registers selinuxfs only when SELinux is enabled, a writable
 * selinuxfs must be mounted (a read-only one is the convention for "SELinux is off in here",
 * e.g. inside containers), and the calling thread must not still carry the pre-policy "kernel"
 * context (no policy loaded).
 */
export function selinuxEnabled(roots: LsmRoots = HOST): boolean {
  if (!readText(path.join(roots.proc, 'filesystems'))?.includes('\tselinuxfs\n')) return false;
  const mounts = selinuxfsMounts(readText(path.join(roots.proc, 'self/mountinfo')) ?? '');
  if (!mounts.some((m) => !m.readonly)) return false;
  // go-selinux counts an unreadable context as "not kernel" (enabled); so does this.
  const current = readText(path.join(roots.proc, 'thread-self/attr/current'));
  return current?.replace(/[\0\n]+$/, '') !== 'kernel';
}

export function detectLsm(roots: LsmRoots = HOST): LsmHost {
  return { apparmor: apparmorEnabled(roots), selinux: selinuxEnabled(roots) };
}
