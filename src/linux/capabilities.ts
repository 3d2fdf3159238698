// Linux capability names and numbers (linux/capability.h), CAP_CHOWN..CAP_CHECKPOINT_RESTORE.
// One table serves config validation, `tsrunc features` and the launcher's capset masks, so a name
// is accepted exactly when the runtime knows which bit it stands for.

import { mapped } from '../text';

export interface CapabilityInfo {
  name: string;
  /** Bit number in the capability sets. */
  number: number;
}

const NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

export type CapabilityName = (typeof NAMES)[number];

/** In bit order: the index of a name is its capability number. */
export const CAPABILITIES: readonly CapabilityInfo[] = mapped(NAMES, (name, number) => ({ name, number }));

export const CAPABILITY_NAMES: readonly string[] = NAMES;

/** Highest capability number this table knows; the launcher clears every bit above it. */
export const CAP_LAST_KNOWN = NAMES.length - 1;

const BY_NAME: ReadonlyMap<string, number> = new Map(mapped(CAPABILITIES, (c) => [c.name, c.number]));

export function capabilityNumber(name: string): number | undefined {
  return BY_NAME.get(name);
}

/** The capability sets of process.capabilities, in the order the spec lists them. */
export const CAPABILITY_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;
