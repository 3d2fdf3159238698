// linux.seccomp -> the launcher's filter description. Every decision libseccomp does not have to
// make is made here: action values with their errno folded in, rules skipped because they repeat
// the default action, how argument conditions group into rules, the filter flags, and the state
// document a notify listener receives. The launcher resolves syscall names and architectures.
import { path } from '../sys/path';
import { integerValue } from '../config/exact-integers';
import type { Seccomp, SeccompArg } from '../config/types';
import { SPEC_VERSION, STATE_ROOT_CACHE } from '../context';
import { SECCOMP_ACTIONS, SECCOMP_FLAGS, SECCOMP_OPERATOR_VALUES } from '../linux/seccomp-names';
import type { PlanSeccomp, PlanSeccompCondition, PlanSeccompRule } from './types';

const EPERM = 1;
const SECCOMP_FILTER_FLAG_NEW_LISTENER = 8;
const MAX_U64 = (1n << 64n) - 1n;

/** The SECCOMP_RET_* value of an action; ERRNO and TRACE carry errnoRet, EPERM by default (runc). */
export function seccompActionValue(action: string, errnoRet: number | undefined): number {
  const base = SECCOMP_ACTIONS[action];
  if (base === undefined) throw new Error(`unknown seccomp action ${action}`);
  if (action === 'SCMP_ACT_ERRNO' || action === 'SCMP_ACT_TRACE') return (base | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
  return base >>> 0;
}

// Argument values are 64-bit: they travel as decimal strings, exact even beyond 2^53 when the
// config text had the digits (exact-integers).
function u64(a: SeccompArg, key: 'value' | 'valueTwo'): string {
  const v = integerValue(a, key) ?? 0n;
  if (v <= 0n) return '0';
  return (v > MAX_U64 ? MAX_U64 : v).toString();
}

function condition(a: SeccompArg): PlanSeccompCondition {
  const op = SECCOMP_OPERATOR_VALUES[a.op];
  if (op === undefined) throw new Error(`unknown seccomp operator ${a.op}`);
  return { index: a.index, op, value: u64(a, 'value'), valueTwo: u64(a, 'valueTwo') };
}

/**
 * Conditions on distinct arguments must all hold (one rule). When one argument appears more than
 * once, each condition becomes a rule of its own, so any of them matches: the reading runc and
 * the profiles written for it rely on (Docker's personality(2) rule lists several values).
 */
function rulesFor(names: string[], action: number, args: SeccompArg[]): PlanSeccompRule[] {
  const conds = args.map(condition);
  const perIndex = new Map<number, number>();
  for (const c of conds) perIndex.set(c.index, (perIndex.get(c.index) ?? 0) + 1);
  if ([...perIndex.values()].some((n) => n > 1)) return conds.map((c) => ({ names, action, args: [c] }));
  return [{ names, action, args: conds }];
}

/**
 * Compiled seccomp programs are kept below the state root's STATE_ROOT_CACHE entry (reading one
 * takes ~0.1 ms where compiling Docker's profile takes ~1.7 ms), out of the way of the container
 * directories engines own and that `list` reads.
 */
export function seccompCacheDir(stateRoot: string): string {
  return path.join(stateRoot, STATE_ROOT_CACHE, 'seccomp');
}

export interface SeccompStateInfo {
  id: string;
  bundle: string;
  annotations?: Record<string, string>;
  /** The state root: the launcher keeps compiled programs in a hidden directory of it. */
  stateRoot?: string;
}

export function planSeccomp(seccomp: Seccomp | undefined, info: SeccompStateInfo): PlanSeccomp | undefined {
  if (!seccomp) return undefined;
  const defaultAction = seccompActionValue(seccomp.defaultAction, seccomp.defaultErrnoRet);
  const rules: PlanSeccompRule[] = [];
  let notifies = false;
  for (const call of seccomp.syscalls ?? []) {
    const action = seccompActionValue(call.action, call.errnoRet);
    // libseccomp refuses a rule that repeats the default action; it would change nothing.
    if (action === defaultAction || call.names.length === 0) continue;
    if (call.action === 'SCMP_ACT_NOTIFY') notifies = true;
    rules.push(...rulesFor(call.names, action, call.args ?? []));
  }
  let flags = 0;
  for (const f of seccomp.flags ?? []) flags |= SECCOMP_FLAGS[f] ?? 0;
  if (notifies) flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  // WAIT_KILLABLE_RECV only means something for a listener, and the kernel refuses it without
  // one; libseccomp likewise sets it only when the filter notifies.
  else flags &= ~SECCOMP_FLAGS.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;

  const plan: PlanSeccomp = {
    defaultAction,
    // libseccomp's names: SCMP_ARCH_X86_64 -> x86_64.
    architectures: (seccomp.architectures ?? []).map((a) => a.replace(/^SCMP_ARCH_/, '').toLowerCase()),
    flags,
    rules,
    ...(info.stateRoot ? { cacheDir: seccompCacheDir(info.stateRoot) } : {}),
  };
  if (notifies && seccomp.listenerPath) {
    // runc's ContainerProcessState; the launcher fills in both pids.
    plan.listener = {
      path: seccomp.listenerPath,
      message: {
        ociVersion: SPEC_VERSION,
        fds: ['seccompFd'],
        pid: 0,
        ...(seccomp.listenerMetadata ? { metadata: seccomp.listenerMetadata } : {}),
        state: {
          ociVersion: SPEC_VERSION,
          id: info.id,
          status: 'creating',
          pid: 0,
          bundle: info.bundle,
          ...(info.annotations && Object.keys(info.annotations).length ? { annotations: info.annotations } : {}),
        },
      },
    };
  }
  return plan;
}
