// The runtime-spec "features" document (features.md, features-linux.md) for `tsrunc features`.
// Everything is derived from the tables the runtime itself uses, so it cannot claim more than the
// runtime does: flip an entry in src/linux/runtime-support.ts and this output follows.
import { VERSION } from '../context';
import { launcherFeatures, type SeccompBuild } from '../native/launcher-modes';
import { CAPABILITY_NAMES } from '../linux/capabilities';
import { MOUNT_OPTIONS } from '../linux/mount-options';
import { NAMESPACE_TYPES } from '../linux/namespaces';
import { MEMPOLICY_FLAGS, MEMPOLICY_MODES } from '../linux/numa';
import { FEATURE_GATED_MOUNT_OPTIONS, RUNTIME_SUPPORT, type RuntimeSupport } from '../linux/runtime-support';
import { SECCOMP_ACTION_NAMES, SECCOMP_ARCHS, SECCOMP_FLAG_NAMES, SECCOMP_OPERATORS } from '../linux/seccomp-names';

export interface Features {
  ociVersionMin: string;
  ociVersionMax: string;
  hooks: string[];
  mountOptions: string[];
  linux: {
    namespaces: string[];
    capabilities: string[];
    cgroup: RuntimeSupport['cgroup'];
    seccomp: {
      enabled: boolean;
      actions: string[];
      operators: string[];
      archs: string[];
      knownFlags: string[];
      supportedFlags: string[];
    };
    apparmor: { enabled: boolean };
    selinux: { enabled: boolean };
    intelRdt: RuntimeSupport['intelRdt'];
    memoryPolicy: { modes: string[]; flags: string[] };
    mountExtensions: { idmap: { enabled: boolean } };
    netDevices: { enabled: boolean };
  };
  annotations: Record<string, string>;
  potentiallyUnsafeConfigAnnotations: string[];
}

const sorted = (list: readonly string[]): string[] => [...list].sort();

export type { SeccompBuild };

export function buildFeatures(support: Readonly<RuntimeSupport> = RUNTIME_SUPPORT, seccompBuild?: SeccompBuild): Features {
  // Without the launcher's answer, the spec's list: validation accepts every name, and an
  // architecture this libseccomp lacks fails create with a message naming it.
  const archs = seccompBuild ? seccompBuild.archs.map((a) => `SCMP_ARCH_${a.toUpperCase()}`) : [...SECCOMP_ARCHS];
  const mountOptions = Object.keys(MOUNT_OPTIONS).filter((name) => FEATURE_GATED_MOUNT_OPTIONS[name]?.(support) ?? true);
  return {
    ociVersionMin: support.ociVersionMin,
    ociVersionMax: support.ociVersionMax,
    hooks: [...support.hooks],
    mountOptions: sorted(mountOptions),
    linux: {
      namespaces: sorted(NAMESPACE_TYPES),
      capabilities: [...CAPABILITY_NAMES],
      cgroup: { ...support.cgroup },
      seccomp: {
        enabled: support.seccomp,
        actions: sorted(SECCOMP_ACTION_NAMES),
        operators: sorted(SECCOMP_OPERATORS),
        archs: sorted(archs),
        knownFlags: [...SECCOMP_FLAG_NAMES],
        supportedFlags: support.seccomp ? [...SECCOMP_FLAG_NAMES] : [],
      },
      apparmor: { enabled: support.apparmor },
      selinux: { enabled: support.selinux },
      intelRdt: { ...support.intelRdt },
      // The names are listed only while the policy is applied; otherwise none is "recognized".
      memoryPolicy: {
        modes: support.memoryPolicy ? sorted(Object.keys(MEMPOLICY_MODES)) : [],
        flags: support.memoryPolicy ? sorted(Object.keys(MEMPOLICY_FLAGS)) : [],
      },
      mountExtensions: { idmap: { enabled: support.idmapMounts } },
      netDevices: { enabled: support.netDevices },
    },
    annotations: {
      'io.github.tsrunc.version': VERSION,
      ...(seccompBuild ? { 'io.github.seccomp.libseccomp.version': seccompBuild.libseccomp } : {}),
    },
    potentiallyUnsafeConfigAnnotations: [...support.unsafeConfigAnnotations],
  };
}


/** The features of this build on this host: the launcher says what its libseccomp knows. */
export function hostFeatures(): Features {
  const build = launcherFeatures();
  // Id-mapped mounts need the running kernel's mount_setattr, which the launcher probes.
  return buildFeatures({ ...RUNTIME_SUPPORT, idmapMounts: RUNTIME_SUPPORT.idmapMounts && build.idmapMounts === true }, build);
}
