// Parts of a config this build accepts as valid but does not act on yet, derived from the same
// runtime-support table as `tsrunc features`. `tsrunc validate` shows them as warnings so nobody
// mistakes a valid config for an enforced one.
import { RUNTIME_SUPPORT, type RuntimeSupport } from '../linux/runtime-support';
import type { Spec } from './types';

/** `spec` must already have passed validation. */
export function unimplementedParts(spec: Spec, support: Readonly<RuntimeSupport> = RUNTIME_SUPPORT): string[] {
  const linux = spec.linux ?? {};
  const out: string[] = [];
  const note = (pointer: string, what: string): void => {
    out.push(`config.json: ${pointer}: ${what} is not implemented by this tsrunc build`);
  };
  for (const [kind, hooks] of Object.entries(spec.hooks ?? {})) {
    if (Array.isArray(hooks) && hooks.length > 0 && !(support.hooks as readonly string[]).includes(kind)) note(`/hooks/${kind}`, `${kind} hooks`);
  }
  if (linux.seccomp && !support.seccomp) note('/linux/seccomp', 'seccomp');
  if (linux.resources && !(support.cgroup.v1 || support.cgroup.v2)) note('/linux/resources', 'cgroup resource control');
  if (!support.idmapMounts) {
    (spec.mounts ?? []).forEach((m, i) => {
      const idmapOption = m.options?.some((o) => o === 'idmap' || o === 'ridmap');
      if (m.uidMappings || m.gidMappings || idmapOption) note(`/mounts/${i}`, 'an id-mapped mount');
    });
  }
  if (!support.tmpcopyup) {
    (spec.mounts ?? []).forEach((m, i) => {
      if (m.options?.includes('tmpcopyup')) note(`/mounts/${i}`, 'the tmpcopyup option');
    });
  }
  return out;
}
