// The hooks' part of a create plan: whether the init stops for the runtime's hooks (prestart,
// createRuntime: run by tsrunc when the launcher asks), and the hooks the init runs itself in the
// container's namespaces (createContainer, startContainer).
import type { Hook, Spec } from '../config/types';
import type { LaunchPlan, PlanHook } from './types';

const has = (list: Hook[] | undefined): boolean => (list?.length ?? 0) > 0;
const planned = (list: Hook[] | undefined): PlanHook[] =>
  (list ?? []).map((h) => ({ path: h.path, args: h.args?.length ? h.args : [h.path], env: h.env ?? [], timeout: h.timeout ?? 0 }));

/** `state`: the OCI state the init's hooks read (status "creating"; the init fills in its pid). */
export function planHooks(hooks: Spec['hooks'], state: Record<string, unknown> = {}): Pick<LaunchPlan, 'hooksBeforePivot' | 'containerHooks'> {
  const out: Pick<LaunchPlan, 'hooksBeforePivot' | 'containerHooks'> = {};
  if (has(hooks?.prestart) || has(hooks?.createRuntime)) out.hooksBeforePivot = true;
  if (has(hooks?.createContainer) || has(hooks?.startContainer)) {
    out.containerHooks = { createContainer: planned(hooks?.createContainer), startContainer: planned(hooks?.startContainer), state };
  }
  return out;
}
