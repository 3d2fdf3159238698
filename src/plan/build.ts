// Spec + command-line options -> launch plan. Everything the launcher will do is decided here.
import * as files from '../sys/files';
import { path } from '../sys/path';
import type { Process, Spec } from '../config/types';
import { TsruncError } from '../errors';
import { detectLsm, type LsmHost } from '../linux/lsm';
import { mountOption } from '../linux/mount-options';
import { rootlessIdMaps } from '../linux/rootless';
import { NAMESPACE_KINDS } from '../linux/namespaces';
import { sysctlProcPath } from '../linux/sysctl';
import { planDevices } from './devices';
import { labelledMountData, requireLsmSupport } from './lsm';
import { planMount } from './mounts';
import { planMemoryPolicy } from './memory-policy';
import { planSeccomp } from './seccomp';
import { planScheduling } from './scheduling';
import { planCapabilities, planRlimits, runtimeBoundingSet } from './security';
import { planHooks } from './hooks';
import { PLAN_VERSION, type LaunchPlan, type PlanNamespace, type PlanProcess } from './types';
import { anyOf, findFirst, indexOfFirst, mapped } from '../text';

export interface PlanOptions {
  id: string;
  bundle: string;
  execFifo: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  preserveFds: number;
  debug: boolean;
  /** The state root (--root), where compiled seccomp programs are cached; none for a dry run. */
  stateRoot?: string;
  /** $LISTEN_FDS of the calling process (socket activation), passed through as runc does. */
  listenFds?: number;
  warn?: (msg: string) => void;
  /** The host's enabled security modules; detected when not given (tests pass their own). */
  lsm?: LsmHost;
  /** Where the pty master goes when process.terminal is set (--console-socket, or tsrunc's own
   * with consoleRelay and the caller's size). */
  consoleSocket?: string;
  consoleRelay?: { callerSize?: { rows: number; cols: number } };
  /** Where the launcher puts the init (the cgroup driver's placement); none without cgroups. */
  cgroup?: LaunchPlan['cgroup'];
  /** The OCI state the init's createContainer/startContainer hooks read (status "creating"). */
  hookState?: Record<string, unknown>;
  /** tsrunc runs rootless (--rootless, or auto): the id maps are written as an unprivileged user may. */
  rootless?: boolean;
}

/** Absolute, symlink-free path of the rootfs; it must exist. */
export function resolveRootfs(spec: Spec, bundle: string): string {
  const rootPath = spec.root?.path;
  if (!rootPath) throw new TsruncError('config.json: /root/path: is required');
  const abs = path.resolve(bundle, rootPath);
  try {
    return files.realpath(abs);
  } catch {
    throw new TsruncError(`rootfs (${JSON.stringify(abs)}) does not exist`);
  }
}

function planNamespaces(spec: Spec): PlanNamespace[] {
  const configured = spec.linux?.namespaces ?? [];
  const out: PlanNamespace[] = [];
  for (const kind of NAMESPACE_KINDS) {
    const ns = findFirst(configured, (n) => n.type === kind.type);
    if (ns) out.push({ type: kind.type, cloneFlag: kind.cloneFlag, ...(ns.path ? { path: ns.path } : {}) });
  }
  if (!anyOf(out, (n) => n.type === 'mount')) refuseWithoutMountNamespace(spec);
  return out;
}

// Without a mount namespace the container inherits the runtime's mount table (config-linux.md):
// its mounts are made there, below the rootfs, and `delete` detaches them. The root itself is
// entered by chroot and never becomes a mount, so what would change the mount holding the bundle
// is refused.
function refuseWithoutMountNamespace(spec: Spec): void {
  const reason = 'needs a mount namespace: without one it would change the runtime\'s own mounts (add {"type": "mount"} to /linux/namespaces)';
  if (spec.root?.readonly === true) throw new TsruncError(`config.json: /root/readonly: a read-only rootfs ${reason}`);
  if (spec.linux?.rootfsPropagation) throw new TsruncError(`config.json: /linux/rootfsPropagation: ${reason}`);
}

/** The process part of a plan: the init's (spec.process) or an exec'd one (`process`). */
export function planProcess(spec: Spec, p: Process, listenFds: number, warn?: (msg: string) => void): PlanProcess {
  const env = [...(p.env ?? [])];
  if (listenFds > 0) env.push(`LISTEN_FDS=${listenFds}`, 'LISTEN_PID=1');
  const out: PlanProcess = {
    args: p.args ?? [],
    env,
    cwd: p.cwd,
    uid: p.user?.uid ?? 0,
    gid: p.user?.gid ?? 0,
    additionalGids: p.user?.additionalGids ?? [],
    umask: p.user?.umask ?? -1,
    noNewPrivileges: p.noNewPrivileges === true,
    rlimits: planRlimits(p.rlimits),
  };
  // A user namespace (new or joined, by the init or an exec'd process) starts with a full bounding set.
  const ownUserNamespace = anyOf(spec.linux?.namespaces ?? [], (n) => n.type === 'user');
  out.capabilities = planCapabilities(p.capabilities, warn ?? (() => {}), ownUserNamespace ? undefined : runtimeBoundingSet());
  if (p.oomScoreAdj !== undefined) out.oomScoreAdj = p.oomScoreAdj;
  if (p.apparmorProfile) out.apparmorProfile = p.apparmorProfile;
  if (p.selinuxLabel) out.selinuxLabel = p.selinuxLabel;
  const scheduling = planScheduling({ ...spec, process: p });
  if (scheduling) out.scheduling = scheduling;
  return out;
}

/** process.terminal: where the pty's master goes, and its first size. */
/** `relay`: tsrunc relays the pty itself; `callerSize` is its terminal's size, used when the
 * process sets none. */
export function planConsole(p: Process | undefined, socketPath: string | undefined, relay?: { callerSize?: { rows: number; cols: number } }): LaunchPlan['console'] {
  if (!p?.terminal || !socketPath) return undefined;
  const size = p.consoleSize ? { rows: p.consoleSize.height, cols: p.consoleSize.width } : relay?.callerSize;
  return { socketPath, ...(size ? { rows: size.rows, cols: size.cols } : {}), ...(relay ? { clearOnlcr: true } : {}) };
}

export function buildLaunchPlan(spec: Spec, rootfs: string, opts: PlanOptions): LaunchPlan {
  const linux = spec.linux ?? {};
  // The host's LSMs are read only when the config asks for a label: most creates need none.
  const wantsLabel = Boolean(spec.process?.apparmorProfile || spec.process?.selinuxLabel || linux.mountLabel);
  const lsm = opts.lsm ?? (wantsLabel ? detectLsm() : { apparmor: false, selinux: false });
  requireLsmSupport(spec, lsm);
  // Only reached with SELinux enabled when a mount label is set (refused above otherwise).
  const mountLabel = lsm.selinux && linux.mountLabel ? linux.mountLabel : undefined;
  const mounts = mapped(spec.mounts ?? [], (m) => {
    const planned = planMount(m, opts.bundle);
    return { ...planned, data: labelledMountData(planned, mountLabel) };
  });
  const listenFds = opts.listenFds ?? 0;

  let rootPropagation = 0;
  if (linux.rootfsPropagation) {
    const opt = mountOption(linux.rootfsPropagation);
    if (!opt || opt.kind !== 'propagation') throw new TsruncError(`config.json: /linux/rootfsPropagation: unknown propagation ${JSON.stringify(linux.rootfsPropagation)}`);
    rootPropagation = opt.flags;
  }

  const plan: LaunchPlan = {
    version: PLAN_VERSION,
    id: opts.id,
    debug: opts.debug,
    rootfs,
    readonlyRoot: spec.root?.readonly === true,
    rootPropagation,
    noPivot: opts.noPivot,
    noNewKeyring: opts.noNewKeyring,
    namespaces: planNamespaces(spec),
    uidMappings: linux.uidMappings ?? [],
    gidMappings: linux.gidMappings ?? [],
    timeOffsets: mapped(Object.entries(linux.timeOffsets ?? {}), ([clock, t]) => ({ clock, secs: t.secs ?? 0, nanosecs: t.nanosecs ?? 0 })),
    mounts,
    setupDev: !anyOf(mounts, (m) => m.destination === '/dev' && m.type === ''),
    devices: planDevices(linux.devices),
    maskedPaths: linux.maskedPaths ?? [],
    readonlyPaths: linux.readonlyPaths ?? [],
    sysctl: mapped(Object.entries(linux.sysctl ?? {}), ([key, value]) => ({ key, path: sysctlProcPath(key), value })),
    execFifo: opts.execFifo,
    preserveFds: listenFds + opts.preserveFds,
  };
  const newUserns = anyOf(plan.namespaces, (n) => n.type === 'user' && !n.path);
  if (opts.rootless && newUserns) Object.assign(plan, rootlessIdMaps(plan.uidMappings, plan.gidMappings));
  // Mapping a host filesystem takes CAP_SYS_ADMIN over its superblock's namespace, the host's (runc refuses these too).
  const idmapped = opts.rootless ? indexOfFirst(mounts, (m) => m.idmap !== undefined) : -1;
  if (idmapped >= 0) throw new TsruncError(`config.json: /mounts/${idmapped}: an id-mapped mount cannot be made by a rootless tsrunc (mapping a host filesystem needs CAP_SYS_ADMIN on the host)`);
  if (spec.hostname !== undefined) plan.hostname = spec.hostname;
  if (spec.domainname !== undefined) plan.domainname = spec.domainname;
  if (mountLabel) plan.mountLabel = mountLabel;
  const seccomp = planSeccomp(linux.seccomp, { id: opts.id, bundle: opts.bundle, annotations: spec.annotations, stateRoot: opts.stateRoot });
  if (seccomp) plan.seccomp = seccomp;

  if (spec.process) plan.process = planProcess(spec, spec.process, listenFds, opts.warn);
  const memoryPolicy = planMemoryPolicy(linux.memoryPolicy);
  if (memoryPolicy) plan.memoryPolicy = memoryPolicy;
  const netDevices = mapped(Object.entries(linux.netDevices ?? {}), ([hostName, d]) => ({ hostName, name: d.name ?? hostName }));
  if (netDevices.length > 0) plan.netDevices = netDevices;
  const consolePlan = planConsole(spec.process, opts.consoleSocket, opts.consoleRelay);
  if (consolePlan) plan.console = consolePlan;
  if (opts.cgroup) plan.cgroup = opts.cgroup;
  Object.assign(plan, planHooks(spec.hooks, opts.hookState));
  return plan;
}
