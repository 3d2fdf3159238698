// linux.memoryPolicy -> the set_mempolicy(2) arguments the launcher passes, for the container's
// process and every process exec'd into it (as runc). Names and combinations were checked by
// validation; this translates, and refuses a node list this host can never satisfy.
import type { MemoryPolicy } from '../config/types';
import { TsruncError } from '../errors';
import { hostMemoryNodes, MEMPOLICY_FLAGS, MEMPOLICY_MODES, nodeListText, parseNodeList } from '../linux/numa';
import { known } from './scheduling';

export type { PlanMemoryPolicy } from './types';
import type { PlanMemoryPolicy } from './types';

const AT = '/linux/memoryPolicy';

/**
 * `hostNodes`: the nodes with memory here (undefined: unknown). The kernel keeps only those of
 * the mask and fails with EINVAL when none is left (unless the nodes are relative: then they are
 * folded onto the allowed ones), so that case is refused here, naming the config value.
 */
export function planMemoryPolicy(policy: MemoryPolicy | undefined, hostNodes: () => number[] | undefined = hostMemoryNodes): PlanMemoryPolicy | undefined {
  if (!policy) return undefined;
  let mode = known(MEMPOLICY_MODES, policy.mode, `${AT}/mode`);
  (policy.flags ?? []).forEach((f, i) => { mode |= known(MEMPOLICY_FLAGS, f, `${AT}/flags/${i}`); });
  const list = parseNodeList(policy.nodes ?? '');
  if ('error' in list) throw new TsruncError(`config.json: ${AT}/nodes: ${list.error}`);
  const relative = (mode & MEMPOLICY_FLAGS.MPOL_F_RELATIVE_NODES) !== 0;
  const host = list.nodes.length > 0 && !relative ? hostNodes() : undefined;
  if (host && !list.nodes.some((n) => host.includes(n))) {
    throw new TsruncError(`config.json: ${AT}/nodes: no node of ${JSON.stringify(policy.nodes)} has memory on this host (nodes with memory: ${nodeListText(host) || 'none'})`);
  }
  return { mode, nodes: list.nodes };
}
