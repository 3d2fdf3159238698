// The runtime-spec "features" document (features.md, features-linux.md) for `tsrunc features`.
// Everything is derived from the tables the runtime itself uses, so it cannot claim more than the
// runtime does: flip an entry in src/linux/runtime-support.ts and this output follows.
import { VERSION } from '../context';
import { CAPABILITY_NAMES } from '../linux/capabilities';
import { MOUNT_OPTIONS } from '../linux/mount-options';
import { NAMESPACE_TYPES } from '../linux/namespaces';
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
    mountExtensions: { idmap: { enabled: boolean } };
    netDevices: { enabled: boolean };
  };
  annotations: Record<string, string>;
}

const sorted = (list: readonly string[]): string[] => [...list].sort();

export function buildFeatures(support: Readonly<RuntimeSupport> = RUNTIME_SUPPORT): Features {
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
        // The names are recognised (validated) either way; none is applied until seccomp is enabled.
        actions: sorted(SECCOMP_ACTION_NAMES),
        operators: sorted(SECCOMP_OPERATORS),
        archs: sorted(SECCOMP_ARCHS),
        knownFlags: [...SECCOMP_FLAG_NAMES],
        supportedFlags: support.seccomp ? [...SECCOMP_FLAG_NAMES] : [],
      },
      apparmor: { enabled: support.apparmor },
      selinux: { enabled: support.selinux },
      intelRdt: { ...support.intelRdt },
      mountExtensions: { idmap: { enabled: support.idmapMounts } },
      netDevices: { enabled: support.netDevices },
    },
    annotations: { 'io.github.tsrunc.version': VERSION },
  };
}

/**
 * Parts of a config this build accepts as valid but does not act on yet; `tsrunc validate` shows
 * them as warnings so nobody mistakes a valid config for an enforced one.
 */
export function unimplementedParts(spec: unknown, support: Readonly<RuntimeSupport> = RUNTIME_SUPPORT): string[] {
  const s = (spec ?? {}) as { process?: Record<string, unknown>; linux?: Record<string, unknown>; mounts?: unknown };
  const linux = s.linux ?? {};
  const has = (v: unknown): boolean => v !== undefined && v !== null;
  const out: string[] = [];
  const note = (pointer: string, what: string): void => { out.push(`config.json: ${pointer}: ${what} is not implemented by this tsrunc build`); };
  const cgroups = support.cgroup.v1 || support.cgroup.v2;
  if (has(linux.seccomp) && !support.seccomp) note('/linux/seccomp', 'seccomp');
  if (has(linux.resources) && !cgroups) note('/linux/resources', 'cgroup resource control');
  if (has(s.process?.apparmorProfile) && !support.apparmor) note('/process/apparmorProfile', 'AppArmor');
  if (has(s.process?.selinuxLabel) && !support.selinux) note('/process/selinuxLabel', 'SELinux');
  if (has(linux.mountLabel) && !support.selinux) note('/linux/mountLabel', 'SELinux');
  if (has(linux.intelRdt) && !support.intelRdt.enabled) note('/linux/intelRdt', 'Intel RDT');
  if (has(linux.netDevices) && !support.netDevices) note('/linux/netDevices', 'moving network devices');
  if (has(linux.memoryPolicy) && !support.memoryPolicy) note('/linux/memoryPolicy', 'NUMA memory policy');
  if (!support.idmapMounts && Array.isArray(s.mounts)) {
    s.mounts.forEach((m: { uidMappings?: unknown; gidMappings?: unknown; options?: unknown }, i: number) => {
      const opts = Array.isArray(m?.options) ? m.options : [];
      if (has(m?.uidMappings) || has(m?.gidMappings) || opts.includes('idmap') || opts.includes('ridmap')) note(`/mounts/${i}`, 'an id-mapped mount');
    });
  }
  return out;
}
