// TypeScript view of the OCI runtime-spec 1.3 config.json, as far as Linux uses it.
// Every interface mirrors the schema definition of the same name in schema/config.schema.json:
// test/unit/config-types.test.ts fails if a property, its optionality or its kind differ. Values are only
// trustworthy after validateSpec() has accepted the document.

export interface Spec {
  ociVersion: string;
  process?: Process;
  root: Root;
  hostname?: string;
  domainname?: string;
  mounts?: Mount[];
  hooks?: Hooks;
  annotations?: Record<string, string>;
  linux?: Linux;
}

export interface Root { path: string; readonly?: boolean }

export interface Mount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
  uidMappings?: IdMapping[];
  gidMappings?: IdMapping[];
}

export interface Process {
  terminal?: boolean;
  consoleSize?: ConsoleSize;
  user: User;
  args: string[];
  /** Windows only; accepted and ignored on Linux. */
  commandLine?: string;
  env?: string[];
  cwd: string;
  capabilities?: Capabilities;
  rlimits?: Rlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
  selinuxLabel?: string;
  ioPriority?: IOPriority;
  scheduler?: Scheduler;
  execCPUAffinity?: ExecCPUAffinity;
}

export interface ConsoleSize { height: number; width: number }

export interface User {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
  /** Windows only; accepted and ignored on Linux. */
  username?: string;
}

export interface Capabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

/** soft and hard may exceed 2^53 (RLIM_INFINITY is 2^64-1); JSON.parse rounds such values. */
export interface Rlimit { type: string; soft: number; hard: number }

export interface IOPriority { class: string; priority?: number }

export interface Scheduler {
  policy: string;
  nice?: number;
  priority?: number;
  flags?: string[];
  runtime?: number;
  deadline?: number;
  period?: number;
}

export interface ExecCPUAffinity { initial?: string; final?: string }

export interface Hook { path: string; args?: string[]; env?: string[]; timeout?: number }

export interface Hooks {
  prestart?: Hook[];
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
}

export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

export interface Namespace { type: NamespaceType; path?: string }

export interface IdMapping { containerID: number; hostID: number; size: number }

export interface TimeOffset { secs?: number; nanosecs?: number }

export interface Device {
  type: string;
  path: string;
  /** Required unless type is "p". */
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface NetDevice { name?: string }

export interface DeviceCgroup { allow: boolean; type?: string; major?: number; minor?: number; access?: string }

export interface Memory {
  limit?: number;
  reservation?: number;
  swap?: number;
  kernel?: number;
  kernelTCP?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}

export interface CPU {
  shares?: number;
  quota?: number;
  burst?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  cpus?: string;
  mems?: string;
  idle?: number;
}

export interface Pids { limit?: number }

export interface WeightDevice { major: number; minor: number; weight?: number; leafWeight?: number }

export interface ThrottleDevice { major: number; minor: number; rate: number }

export interface BlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: WeightDevice[];
  throttleReadBpsDevice?: ThrottleDevice[];
  throttleWriteBpsDevice?: ThrottleDevice[];
  throttleReadIOPSDevice?: ThrottleDevice[];
  throttleWriteIOPSDevice?: ThrottleDevice[];
}

export interface HugepageLimit { pageSize: string; limit: number }

export interface InterfacePriority { name: string; priority: number }

export interface Network { classID?: number; priorities?: InterfacePriority[] }

export interface Rdma { hcaHandles?: number; hcaObjects?: number }

export interface Resources {
  devices?: DeviceCgroup[];
  memory?: Memory;
  cpu?: CPU;
  pids?: Pids;
  blockIO?: BlockIO;
  hugepageLimits?: HugepageLimit[];
  network?: Network;
  rdma?: Record<string, Rdma>;
  unified?: Record<string, string>;
}

export interface SeccompArg { index: number; value: number; valueTwo?: number; op: string }

export interface Syscall { names: string[]; action: string; errnoRet?: number; args?: SeccompArg[] }

export interface Seccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: Syscall[];
}

export interface IntelRdt {
  closID?: string;
  l3CacheSchema?: string;
  memBwSchema?: string;
  schemata?: string[];
  enableMonitoring?: boolean;
  /** Spec 1.1-1.2 only; replaced by enableMonitoring in 1.3. */
  enableCMT?: boolean;
  /** Spec 1.1-1.2 only; replaced by enableMonitoring in 1.3. */
  enableMBM?: boolean;
}

export interface MemoryPolicy { mode: string; nodes?: string; flags?: string[] }

export interface Personality { domain: string; flags?: string[] }

export interface Linux {
  namespaces?: Namespace[];
  uidMappings?: IdMapping[];
  gidMappings?: IdMapping[];
  timeOffsets?: Record<string, TimeOffset>;
  devices?: Device[];
  netDevices?: Record<string, NetDevice>;
  cgroupsPath?: string;
  resources?: Resources;
  rootfsPropagation?: string;
  seccomp?: Seccomp;
  sysctl?: Record<string, string>;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  intelRdt?: IntelRdt;
  memoryPolicy?: MemoryPolicy;
  personality?: Personality;
}
