// Every mount option tsrunc understands, with what it does to the mount. One table serves the plan
// builder (options -> flags) and `tsrunc features` (the list it advertises), so the two never differ.

export const MS = {
  RDONLY: 0x1, NOSUID: 0x2, NODEV: 0x4, NOEXEC: 0x8, SYNCHRONOUS: 0x10, REMOUNT: 0x20,
  MANDLOCK: 0x40, DIRSYNC: 0x80, NOSYMFOLLOW: 0x100, NOATIME: 0x400, NODIRATIME: 0x800,
  BIND: 0x1000, MOVE: 0x2000, REC: 0x4000, SILENT: 0x8000, POSIXACL: 0x10000,
  UNBINDABLE: 0x20000, PRIVATE: 0x40000, SLAVE: 0x80000, SHARED: 0x100000,
  RELATIME: 0x200000, I_VERSION: 0x800000, STRICTATIME: 0x1000000, LAZYTIME: 0x2000000,
} as const;

/** mount_setattr(2) attributes, used for the recursive r* options. */
export const MOUNT_ATTR = {
  RDONLY: 0x1, NOSUID: 0x2, NODEV: 0x4, NOEXEC: 0x8, ATIME_MASK: 0x70, RELATIME: 0x0,
  NOATIME: 0x10, STRICTATIME: 0x20, NODIRATIME: 0x80, IDMAP: 0x100000, NOSYMFOLLOW: 0x200000,
} as const;

export type MountOption =
  | { kind: 'flag'; set: number; clear: number }
  | { kind: 'propagation'; flags: number }
  | { kind: 'recursive'; set: number; clear: number }
  | { kind: 'extension' };

const flag = (set: number, clear = 0): MountOption => ({ kind: 'flag', set, clear });
const prop = (flags: number): MountOption => ({ kind: 'propagation', flags });
const rec = (set: number, clear = 0): MountOption => ({ kind: 'recursive', set, clear });

export const MOUNT_OPTIONS: Readonly<Record<string, MountOption>> = {
  defaults: flag(0),
  acl: flag(MS.POSIXACL), noacl: flag(0, MS.POSIXACL),
  async: flag(0, MS.SYNCHRONOUS), sync: flag(MS.SYNCHRONOUS),
  atime: flag(0, MS.NOATIME), noatime: flag(MS.NOATIME),
  diratime: flag(0, MS.NODIRATIME), nodiratime: flag(MS.NODIRATIME),
  relatime: flag(MS.RELATIME), norelatime: flag(0, MS.RELATIME),
  strictatime: flag(MS.STRICTATIME), nostrictatime: flag(0, MS.STRICTATIME),
  lazytime: flag(MS.LAZYTIME), nolazytime: flag(0, MS.LAZYTIME),
  dev: flag(0, MS.NODEV), nodev: flag(MS.NODEV),
  exec: flag(0, MS.NOEXEC), noexec: flag(MS.NOEXEC),
  suid: flag(0, MS.NOSUID), nosuid: flag(MS.NOSUID),
  symfollow: flag(0, MS.NOSYMFOLLOW), nosymfollow: flag(MS.NOSYMFOLLOW),
  dirsync: flag(MS.DIRSYNC),
  iversion: flag(MS.I_VERSION), noiversion: flag(0, MS.I_VERSION),
  mand: flag(MS.MANDLOCK), nomand: flag(0, MS.MANDLOCK),
  silent: flag(MS.SILENT), loud: flag(0, MS.SILENT),
  ro: flag(MS.RDONLY), rw: flag(0, MS.RDONLY),
  remount: flag(MS.REMOUNT),
  bind: flag(MS.BIND), rbind: flag(MS.BIND | MS.REC),

  private: prop(MS.PRIVATE), rprivate: prop(MS.PRIVATE | MS.REC),
  shared: prop(MS.SHARED), rshared: prop(MS.SHARED | MS.REC),
  slave: prop(MS.SLAVE), rslave: prop(MS.SLAVE | MS.REC),
  unbindable: prop(MS.UNBINDABLE), runbindable: prop(MS.UNBINDABLE | MS.REC),

  rro: rec(MOUNT_ATTR.RDONLY), rrw: rec(0, MOUNT_ATTR.RDONLY),
  rnosuid: rec(MOUNT_ATTR.NOSUID), rsuid: rec(0, MOUNT_ATTR.NOSUID),
  rnodev: rec(MOUNT_ATTR.NODEV), rdev: rec(0, MOUNT_ATTR.NODEV),
  rnoexec: rec(MOUNT_ATTR.NOEXEC), rexec: rec(0, MOUNT_ATTR.NOEXEC),
  rnodiratime: rec(MOUNT_ATTR.NODIRATIME), rdiratime: rec(0, MOUNT_ATTR.NODIRATIME),
  rrelatime: rec(MOUNT_ATTR.RELATIME, MOUNT_ATTR.ATIME_MASK),
  rnorelatime: rec(0, MOUNT_ATTR.ATIME_MASK),
  rnoatime: rec(MOUNT_ATTR.NOATIME, MOUNT_ATTR.ATIME_MASK),
  ratime: rec(0, MOUNT_ATTR.NOATIME),
  rstrictatime: rec(MOUNT_ATTR.STRICTATIME, MOUNT_ATTR.ATIME_MASK),
  rnostrictatime: rec(0, MOUNT_ATTR.STRICTATIME),
  rnosymfollow: rec(MOUNT_ATTR.NOSYMFOLLOW), rsymfollow: rec(0, MOUNT_ATTR.NOSYMFOLLOW),

  // Handled by the launcher itself rather than by mount flags.
  tmpcopyup: { kind: 'extension' },
  idmap: { kind: 'extension' },
  ridmap: { kind: 'extension' },
};

export function mountOption(name: string): MountOption | undefined {
  return Object.prototype.hasOwnProperty.call(MOUNT_OPTIONS, name) ? MOUNT_OPTIONS[name] : undefined;
}
