// process.apparmorProfile, process.selinuxLabel and linux.mountLabel -> plan. A label the host
// cannot apply is an error, never a silent downgrade to an unconfined container. An empty string
// means "none", as with runc.
import type { Spec } from '../config/types';
import { TsruncError } from '../errors';
import type { LsmHost } from '../linux/lsm';
import type { PlanMount } from './types';

/** Throws when the config asks for a label this host's LSMs cannot apply. */
export function requireLsmSupport(spec: Spec, host: LsmHost): void {
  const profile = spec.process?.apparmorProfile;
  const processLabel = spec.process?.selinuxLabel;
  const mountLabel = spec.linux?.mountLabel;
  // runc's own text (libcontainer's config validator): clients may match it.
  if (processLabel && !host.selinux) throw new TsruncError('selinux label is specified in config, but selinux is disabled or not supported');
  if (profile && !host.apparmor) {
    throw new TsruncError(`apparmor profile ${JSON.stringify(profile)} is specified in config (process.apparmorProfile), but apparmor is disabled or not supported on this host`);
  }
  if (mountLabel && !host.selinux) {
    throw new TsruncError(`mount label ${JSON.stringify(mountLabel)} is specified in config (linux.mountLabel), but selinux is disabled or not supported on this host`);
  }
}

// Filesystems that take no context= option from runc: proc and sysfs cannot be relabelled,
// mqueue shares its superblock with the IPC namespace's internal mount (so a new context= would
// conflict; its root is labelled with setxattr by the launcher instead), cgroup hierarchies are
// mounted unlabelled. Bind mounts ignore mount data.
const UNLABELLED_TYPES = new Set(['proc', 'sysfs', 'mqueue', 'cgroup', 'cgroup2']);

/** The mount's data with `context="<label>"` appended, for the filesystems runc labels that way. */
export function labelledMountData(m: PlanMount, mountLabel: string | undefined): string {
  if (!mountLabel || m.type === '' || UNLABELLED_TYPES.has(m.type)) return m.data;
  const context = `context="${mountLabel}"`;
  return m.data === '' ? context : `${m.data},${context}`;
}
