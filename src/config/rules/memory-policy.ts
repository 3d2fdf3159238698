// linux.memoryPolicy: the mode, node and flag combinations set_mempolicy(2) always refuses, found
// before anything is created. The schema checks the names and the node list's form.
import type { Findings } from '../findings';
import { show } from '../pointer';
import { MEMPOLICY_MODES, parseNodeList } from '../../linux/numa';
import { asArray, asObject, asString, get, type RuleInput } from './guards';

const AT = '/linux/memoryPolicy';

/** Modes that take no node list (the kernel fails with one). */
const NO_NODES = new Set(['MPOL_DEFAULT', 'MPOL_LOCAL']);
/** Modes that fail without a node; MPOL_PREFERRED without one means local allocation. */
const NEEDS_NODES = new Set(['MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_WEIGHTED_INTERLEAVE', 'MPOL_PREFERRED_MANY']);
/** The modes the kernel accepts MPOL_F_NUMA_BALANCING with (MPOL_BIND since 5.12, MPOL_PREFERRED_MANY later). */
const BALANCING_MODES = ['MPOL_BIND', 'MPOL_PREFERRED_MANY'];
const NODE_FLAGS = ['MPOL_F_STATIC_NODES', 'MPOL_F_RELATIVE_NODES'];

export function checkMemoryPolicy({ linux }: RuleInput, out: Findings): void {
  const policy = asObject(get(linux, 'memoryPolicy'));
  if (policy === undefined) return;
  const nodes = nodeCount(get(policy, 'nodes'), out);
  const flags = (asArray(get(policy, 'flags')) ?? []).map((f, i) => ({ name: asString(f), at: `${AT}/flags/${i}` }));
  const names = new Set(flags.map((f) => f.name));
  if (names.has('MPOL_F_STATIC_NODES') && names.has('MPOL_F_RELATIVE_NODES')) {
    out.problem(`${AT}/flags`, 'MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other');
  }
  const mode = asString(get(policy, 'mode'));
  if (mode === undefined || MEMPOLICY_MODES[mode] === undefined) return;

  const text = asString(get(policy, 'nodes')) ?? '';
  if (NO_NODES.has(mode) && nodes !== undefined && nodes > 0) out.problem(`${AT}/nodes`, `must be empty for ${mode} (got ${show(text)})`);
  if (NEEDS_NODES.has(mode) && nodes === 0) out.problem(`${AT}/nodes`, `${mode} needs at least one node`);
  if (mode === 'MPOL_PREFERRED' && nodes !== undefined && nodes > 1) {
    out.warn(`${AT}/nodes`, `MPOL_PREFERRED uses only the first node of ${show(text)}; MPOL_PREFERRED_MANY takes several`);
  }
  for (const { name, at } of flags) {
    if (name === 'MPOL_F_NUMA_BALANCING' && !BALANCING_MODES.includes(mode)) {
      out.problem(at, `MPOL_F_NUMA_BALANCING works only with ${BALANCING_MODES.join(' or ')} (mode is ${mode})`);
    }
    if (name === undefined || !NODE_FLAGS.includes(name)) continue;
    if (mode === 'MPOL_LOCAL') out.problem(at, `${name} cannot be used with MPOL_LOCAL`);
    if (mode === 'MPOL_PREFERRED' && nodes === 0) out.problem(at, `${name} needs a node with MPOL_PREFERRED (without one the policy is local allocation)`);
    if (mode === 'MPOL_DEFAULT') out.warn(at, `${name} has no effect with MPOL_DEFAULT`);
  }
}

/** How many nodes the list names; undefined when it is not a usable list (reported here or by the schema). */
function nodeCount(value: unknown, out: Findings): number | undefined {
  if (value === undefined) return 0;
  const text = asString(value);
  if (text === undefined) return undefined;
  const list = parseNodeList(text);
  if ('error' in list) {
    if (!list.malformed) out.problem(`${AT}/nodes`, `${list.error} (got ${show(text)})`);
    return undefined;
  }
  // runc refuses a list that is not empty but names nothing (" , ").
  if (list.nodes.length === 0 && text !== '') {
    out.problem(`${AT}/nodes`, `names no node (got ${show(text)}); leave it empty or absent for none`);
    return undefined;
  }
  return list.nodes.length;
}
