// linux.seccomp: the names are checked by the schema; here, the combinations libseccomp refuses.
import { SECCOMP_ACTIONS_WITH_ERRNO } from '../../linux/seccomp-names';
import type { Findings } from '../findings';
import { asArray, asObject, asString, get, type RuleInput } from './guards';

const NOTIFY = 'SCMP_ACT_NOTIFY';

export function checkSeccomp({ linux }: RuleInput, out: Findings): void {
  const seccomp = asObject(get(linux, 'seccomp'));
  if (seccomp === undefined) return;
  const at = '/linux/seccomp';
  const listener = asString(get(seccomp, 'listenerPath'));
  if (asString(get(seccomp, 'listenerMetadata')) && !listener) out.problem(`${at}/listenerMetadata`, `needs ${at}/listenerPath`);

  const defaultAction = asString(get(seccomp, 'defaultAction'));
  if (defaultAction === NOTIFY) out.problem(`${at}/defaultAction`, `${NOTIFY} cannot be the default action`);
  checkErrno(`${at}/defaultErrnoRet`, get(seccomp, 'defaultErrnoRet'), defaultAction, out);

  (asArray(get(seccomp, 'syscalls')) ?? []).forEach((item, i) => {
    const rule = asObject(item);
    const action = asString(get(rule, 'action'));
    if (action === NOTIFY && !listener) out.problem(`${at}/syscalls/${i}/action`, `${NOTIFY} needs ${at}/listenerPath`);
    // The init writes its exec.fifo report after the filter is in place; a notifying write would
    // wait on the listener there (runc refuses it with the same words).
    if (action === NOTIFY && (asArray(get(rule, 'names')) ?? []).includes('write')) {
      out.problem(`${at}/syscalls/${i}/names`, `${NOTIFY} cannot be used for the write syscall`);
    }
    checkErrno(`${at}/syscalls/${i}/errnoRet`, get(rule, 'errnoRet'), action, out);
  });
}

function checkErrno(at: string, errno: unknown, action: string | undefined, out: Findings): void {
  if (errno === undefined || action === undefined || SECCOMP_ACTIONS_WITH_ERRNO.includes(action)) return;
  out.problem(at, `only ${SECCOMP_ACTIONS_WITH_ERRNO.join(' and ')} return a value (action is ${action})`);
}
