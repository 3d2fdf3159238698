// The launch plan: the contract between the TypeScript front end and the C++ launcher
// (cpp/launcher/plan.h). Every decision is made here; the launcher only applies. Documented in
// docs/launch-plan.md. Bump PLAN_VERSION on an incompatible change.

import type { PlanMemoryPolicy } from './memory-policy';
import type { PlanScheduling } from './scheduling';

export const PLAN_VERSION = 1;

export interface PlanIdMap { containerID: number; hostID: number; size: number }

export interface PlanNamespace { type: string; cloneFlag: number; path?: string }

export interface PlanMount {
  source: string;
  /** Absolute, inside the rootfs; resolved by the launcher without leaving it. */
  destination: string;
  type: string;
  /** mount(2) flags, MS_BIND/MS_REC included, propagation excluded. */
  flags: number;
  data: string;
  /** Propagation changes applied one by one after mounting (MS_SHARED, MS_PRIVATE|MS_REC, ...). */
  propagation: number[];
  /** mount_setattr(2) with AT_RECURSIVE, for the r* options. */
  recAttrSet: number;
  recAttrClr: number;
  tmpcopyup: boolean;
}

export interface PlanDevice { path: string; type: string; major: number; minor: number; fileMode: number; uid: number; gid: number }

export interface PlanProcess {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  /** -1 leaves the default umask (0022). */
  umask: number;
  /** Capability numbers per set; the builder always sets it (empty sets when the config has none, as runc). */
  capabilities?: PlanCapabilities;
  noNewPrivileges: boolean;
  /** RLIMIT_* numbers; limits as decimal strings ("infinity" for RLIM_INFINITY), beyond 2^53. */
  rlimits: { type: number; soft: string; hard: string }[];
  oomScoreAdj?: number;
  scheduling?: PlanScheduling;
  /** Written by the init just before execve: the profile/label the kernel applies at exec. */
  apparmorProfile?: string;
  selinuxLabel?: string;
}

export interface PlanCapabilities {
  bounding: number[];
  effective: number[];
  inheritable: number[];
  permitted: number[];
  ambient: number[];
}

export interface PlanSeccompCondition {
  index: number;
  /** enum scmp_compare (SCMP_CMP_NE = 1 ... SCMP_CMP_MASKED_EQ = 7). */
  op: number;
  /** 64-bit values as decimal strings; for MASKED_EQ, value is the mask and valueTwo the datum. */
  value: string;
  valueTwo: string;
}

/** One libseccomp rule per name: every condition must hold. */
export interface PlanSeccompRule { names: string[]; action: number; args: PlanSeccompCondition[] }

export interface PlanSeccomp {
  /** SECCOMP_RET_* value with its data (errno) folded in. */
  defaultAction: number;
  /** libseccomp architecture names (x86_64, x86, ...); the native one is always included. */
  architectures: string[];
  /** SECCOMP_FILTER_FLAG_* bits, NEW_LISTENER included when a rule notifies. */
  flags: number;
  rules: PlanSeccompRule[];
  /** Where compiled programs are cached (the state root); absent: compile every time. */
  cacheDir?: string;
  /** Where the notify fd goes, with the message sent beside it (pids filled by the launcher). */
  listener?: { path: string; message: Record<string, unknown> };
}

export interface PlanHook { path: string; args: string[]; env: string[]; timeout: number }

export interface LaunchPlan {
  version: number;
  /** "exec" joins a running container (namespaces by path, its cgroup) and runs process at once;
   * absent means create. */
  kind?: 'create' | 'exec';
  /** exec: the init to join (pidfd + setns of every namespace at once), recognised by its start time. */
  targetInit?: { pid: number; startTime: string };
  id: string;
  debug: boolean;
  rootfs: string;
  readonlyRoot: boolean;
  /** Propagation of "/" in the new mount namespace; 0 means MS_SLAVE|MS_REC, as runc. */
  rootPropagation: number;
  noPivot: boolean;
  noNewKeyring: boolean;
  namespaces: PlanNamespace[];
  uidMappings: PlanIdMap[];
  gidMappings: PlanIdMap[];
  timeOffsets: { clock: string; secs: number; nanosecs: number }[];
  hostname?: string;
  domainname?: string;
  /** Mount data already carries context="<label>" where runc puts it; this is for the rest
   * (masked directories' tmpfs, the mqueue root's xattr). Set only with SELinux enabled. */
  mountLabel?: string;
  mounts: PlanMount[];
  /** False when the bundle bind-mounts its own /dev: then no device nodes or links are made. */
  setupDev: boolean;
  devices: PlanDevice[];
  maskedPaths: string[];
  readonlyPaths: string[];
  /** path: the /proc/sys file, with the dotted key's "/" (a literal ".") already converted. */
  sysctl: { key: string; path: string; value: string }[];
  execFifo: string;
  /** Extra fds after stdio handed to the process: $LISTEN_FDS + --preserve-fds. */
  preserveFds: number;
  process?: PlanProcess;
  seccomp?: PlanSeccomp;
  /** process.terminal: the pty's master is sent to socketPath; rows/cols from process.consoleSize;
   * clearOnlcr when tsrunc relays the pty to its own terminal (as runc's foreground receiver). */
  console?: { socketPath: string; rows?: number; cols?: number; clearOnlcr?: boolean };
  /** createContainer/startContainer hooks, run by the init in the container's namespaces; `state`
   * is the OCI state they read (status and pid filled in by the init). */
  containerHooks?: { createContainer: PlanHook[]; startContainer: PlanHook[]; state: Record<string, unknown> };
  /** prestart or createRuntime hooks exist: the init asks for them (`hook`) before pivot_root. */
  hooksBeforePivot?: boolean;
  /** Where the launcher puts the init before "go" (src/cgroups/manager.ts CgroupPlacement). */
  cgroup?: { intoCgroup?: string; procsFiles: string[] };
  /** linux.memoryPolicy: set_mempolicy(2) by the init (and an exec'd process) before "ready". */
  memoryPolicy?: PlanMemoryPolicy;
  /** linux.netDevices: moved by the launcher into the init's network namespace before "go". */
  netDevices?: PlanNetDevice[];
}

/** `name` is the name in the container (the host's when the config gives none); may hold "%d". */
export interface PlanNetDevice { hostName: string; name: string }
