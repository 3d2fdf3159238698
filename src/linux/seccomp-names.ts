// The seccomp vocabulary of runtime-spec 1.3 (libseccomp 2.6 names). Validation accepts exactly
// these names and `tsrunc features` advertises them, so both always agree with the filter compiler.

/** Actions with the SECCOMP_RET_* value each one becomes (SCMP_ACT_KILL is the thread kill). */
export const SECCOMP_ACTIONS: Readonly<Record<string, number>> = {
  SCMP_ACT_KILL: 0x00000000,
  SCMP_ACT_KILL_PROCESS: 0x80000000,
  SCMP_ACT_KILL_THREAD: 0x00000000,
  SCMP_ACT_TRAP: 0x00030000,
  SCMP_ACT_ERRNO: 0x00050000,
  SCMP_ACT_TRACE: 0x7ff00000,
  SCMP_ACT_ALLOW: 0x7fff0000,
  SCMP_ACT_LOG: 0x7ffc0000,
  SCMP_ACT_NOTIFY: 0x7fc00000,
};

export const SECCOMP_ACTION_NAMES: readonly string[] = Object.keys(SECCOMP_ACTIONS);

/** Actions whose return value carries data (errno for ERRNO, the tracer's message for TRACE). */
export const SECCOMP_ACTIONS_WITH_ERRNO: readonly string[] = ['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE'];

/** Comparison operators with their enum scmp_compare values. */
export const SECCOMP_OPERATOR_VALUES: Readonly<Record<string, number>> = {
  SCMP_CMP_NE: 1,
  SCMP_CMP_LT: 2,
  SCMP_CMP_LE: 3,
  SCMP_CMP_EQ: 4,
  SCMP_CMP_GE: 5,
  SCMP_CMP_GT: 6,
  SCMP_CMP_MASKED_EQ: 7,
};

export const SECCOMP_OPERATORS: readonly string[] = Object.keys(SECCOMP_OPERATOR_VALUES);

export const SECCOMP_ARCHS: readonly string[] = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K',
  'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
];

/** seccomp(2) filter flags with their SECCOMP_FILTER_FLAG_* values. */
export const SECCOMP_FLAGS: Readonly<Record<string, number>> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
};

export const SECCOMP_FLAG_NAMES: readonly string[] = Object.keys(SECCOMP_FLAGS);
