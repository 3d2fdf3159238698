// Resource limits a config may set (getrlimit(2)). The numbers are the asm-generic ones used by
// x86, arm, arm64, riscv, s390 and powerpc; alpha, mips and sparc number some limits differently,
// so a launcher built for those must take the numbers from its own <sys/resource.h>.

import { mapped } from '../text';

export interface RlimitInfo {
  name: string;
  number: number;
}

const NAMES = [
  'RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_DATA', 'RLIMIT_STACK', 'RLIMIT_CORE', 'RLIMIT_RSS',
  'RLIMIT_NPROC', 'RLIMIT_NOFILE', 'RLIMIT_MEMLOCK', 'RLIMIT_AS', 'RLIMIT_LOCKS',
  'RLIMIT_SIGPENDING', 'RLIMIT_MSGQUEUE', 'RLIMIT_NICE', 'RLIMIT_RTPRIO', 'RLIMIT_RTTIME',
] as const;

export const RLIMITS: readonly RlimitInfo[] = mapped(NAMES, (name, number) => ({ name, number }));

export const RLIMIT_NAMES: readonly string[] = NAMES;

const BY_NAME: ReadonlyMap<string, number> = new Map(mapped(RLIMITS, (r) => [r.name, r.number]));

export function rlimitNumber(name: string): number | undefined {
  return BY_NAME.get(name);
}
