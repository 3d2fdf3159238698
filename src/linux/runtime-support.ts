// What this build of tsrunc actually implements. `tsrunc features` is derived from this table (and
// from the namespace, mount-option, capability and seccomp tables), never written by hand, so it
// cannot advertise more than the runtime does. Whoever lands a feature flips its entry here in the
// same change; nothing else needs editing.
import { SPEC_VERSION } from '../context';

export const HOOK_NAMES = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

export interface RuntimeSupport {
  /** Oldest config ociVersion accepted. Any 1.x patch level and pre-release of an accepted minor is accepted too. */
  ociVersionMin: string;
  /** Newest spec version implemented; configs up to its minor version (any patch) are accepted. */
  ociVersionMax: string;
  hooks: readonly HookName[];
  cgroup: { v1: boolean; v2: boolean; systemd: boolean; systemdUser: boolean; rdma: boolean };
  seccomp: boolean;
  apparmor: boolean;
  selinux: boolean;
  intelRdt: { enabled: boolean; schemata: boolean; monitoring: boolean };
  /** Mounts with uidMappings/gidMappings and the idmap/ridmap options. */
  idmapMounts: boolean;
  /** The tmpcopyup mount extension (copy the covered directory into a new tmpfs). */
  tmpcopyup: boolean;
  netDevices: boolean;
  memoryPolicy: boolean;
  /**
   * config.json annotations (a key, or a prefix ending in ".") that change what tsrunc does, for
   * features' potentiallyUnsafeConfigAnnotations. Only org.systemd.property.* (unit properties
   * with --systemd-cgroup, as runc); every other annotation is only passed on (state, hooks, the
   * seccomp agent).
   */
  unsafeConfigAnnotations: readonly string[];
}

export const RUNTIME_SUPPORT: Readonly<RuntimeSupport> = {
  ociVersionMin: '1.0.0',
  ociVersionMax: SPEC_VERSION,
  hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
  cgroup: { v1: true, v2: true, systemd: true, systemdUser: false, rdma: true },
  seccomp: true,
  // Implemented (applied at exec, refused up front on hosts without the module). The features
  // document reports the runtime, not the host: runtime-spec features-linux.md says these
  // objects are "Irrelevant to the availability of AppArmor [SELinux] on the host operating
  // system"; a host without them fails `create` with a clear message instead.
  apparmor: true,
  selinux: true,
  intelRdt: { enabled: false, schemata: false, monitoring: false },
  // Also needs the kernel's mount_setattr (5.12): `features` reports it enabled only then.
  idmapMounts: true,
  tmpcopyup: true,
  netDevices: true,
  memoryPolicy: true,
  unsafeConfigAnnotations: ['org.systemd.property.'],
};

/** Mount options that only mean something when an optional feature above is implemented. */
export const FEATURE_GATED_MOUNT_OPTIONS: Readonly<Record<string, (s: RuntimeSupport) => boolean>> = {
  idmap: (s) => s.idmapMounts,
  ridmap: (s) => s.idmapMounts,
  tmpcopyup: (s) => s.tmpcopyup,
};
