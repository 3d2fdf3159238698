// The plan for `exec`: the same launcher, a second kind of plan. The process joins every namespace
// of the container's init (through /proc/<init>/ns, user first), is placed in the container's
// cgroups, and gets the limits the init has: capabilities, rlimits, no_new_privs, seccomp from the
// container's config, LSM labels, the same cwd safety. Nothing of the rootfs is touched.
import type { Process, Spec } from '../config/types';
import { NAMESPACE_KINDS } from '../linux/namespaces';
import { planConsole, planProcess } from './build';
import { planMemoryPolicy } from './memory-policy';
import { planExecCpuAffinity } from './scheduling';
import { planSeccomp } from './seccomp';
import { PLAN_VERSION, type LaunchPlan, type PlanNamespace } from './types';

export interface ExecPlanOptions {
  /** --preserve-fds. $LISTEN_FDS is create's and run's only: runc's exec passes no activation fds. */
  preserveFds: number;
  debug: boolean;
  /** The state root, where compiled seccomp programs are cached. */
  stateRoot: string;
  consoleSocket?: string;
  /** Set when tsrunc relays the terminal itself (console.ts), with the caller's size. */
  consoleRelay?: { callerSize?: { rows: number; cols: number } };
  cgroup?: LaunchPlan['cgroup'];
  warn?: (msg: string) => void;
}

/** What exec needs of the container's record (state.json's fields of the same names). */
export interface ExecTarget {
  id: string;
  bundle: string;
  /** The init's pid. */
  pid: number;
  tsrunc: { initStartTime: string; noPivot: boolean; namespacePaths: Record<string, string>; noNewKeyring?: boolean };
}

/** The init's namespaces: joined all at once through a pidfd of the init (Linux 5.8+), or one by
 * one through these paths in the launcher's order (user first, so the rest are allowed). */
function initNamespaces(state: ExecTarget): PlanNamespace[] {
  const out: PlanNamespace[] = [];
  for (const kind of NAMESPACE_KINDS) {
    if (state.tsrunc.namespacePaths[kind.type] === undefined) continue;
    // The init's own link, also for namespaces it joined by path at create: that path may have
    // been unmounted or reused since, the init's membership has not.
    out.push({ type: kind.type, cloneFlag: kind.cloneFlag, path: `/proc/${state.pid}/ns/${kind.procName}` });
  }
  return out;
}

export function buildExecPlan(spec: Spec, state: ExecTarget, process: Process, opts: ExecPlanOptions): LaunchPlan {
  const linux = spec.linux ?? {};
  const plan: LaunchPlan = {
    version: PLAN_VERSION,
    kind: 'exec',
    targetInit: { pid: state.pid, startTime: state.tsrunc.initStartTime },
    id: state.id,
    debug: opts.debug,
    rootfs: '',
    readonlyRoot: false,
    rootPropagation: 0,
    noPivot: state.tsrunc.noPivot,
    // As the init: its keyring is joined unless it has none of its own.
    noNewKeyring: state.tsrunc.noNewKeyring === true,
    namespaces: initNamespaces(state),
    uidMappings: [],
    gidMappings: [],
    timeOffsets: [],
    mounts: [],
    setupDev: false,
    devices: [],
    maskedPaths: [],
    readonlyPaths: [],
    sysctl: [],
    execFifo: '',
    preserveFds: opts.preserveFds,
    process: planProcess(spec, process, 0, opts.warn),
  };
  // execCPUAffinity is for exec'd processes only (the spec exempts the init).
  const affinity = planExecCpuAffinity(process.execCPUAffinity);
  if (affinity) plan.process!.scheduling = { ...plan.process!.scheduling, cpuAffinity: affinity };
  const seccomp = planSeccomp(linux.seccomp, { id: state.id, bundle: state.bundle, annotations: spec.annotations, stateRoot: opts.stateRoot });
  if (seccomp) plan.seccomp = seccomp;
  const consolePlan = planConsole(process, opts.consoleSocket, opts.consoleRelay);
  if (consolePlan) plan.console = consolePlan;
  if (opts.cgroup) plan.cgroup = opts.cgroup;
  // runc sets the container's memory policy on exec'd processes too.
  const memoryPolicy = planMemoryPolicy(linux.memoryPolicy);
  if (memoryPolicy) plan.memoryPolicy = memoryPolicy;
  return plan;
}
