// NUMA memory policy: the set_mempolicy(2) numbers behind linux.memoryPolicy's names, the node
// list format, and which nodes of this host have memory. Validation, the plan builder and
// `tsrunc features` all read these tables.
import * as files from '../sys/files';

// include/uapi/linux/mempolicy.h
export const MEMPOLICY_MODES: Readonly<Record<string, number>> = {
  MPOL_DEFAULT: 0,
  MPOL_PREFERRED: 1,
  MPOL_BIND: 2,
  MPOL_INTERLEAVE: 3,
  MPOL_LOCAL: 4,
  MPOL_PREFERRED_MANY: 5,
  MPOL_WEIGHTED_INTERLEAVE: 6,
};

export const MEMPOLICY_FLAGS: Readonly<Record<string, number>> = {
  MPOL_F_STATIC_NODES: 1 << 15,
  MPOL_F_RELATIVE_NODES: 1 << 14,
  MPOL_F_NUMA_BALANCING: 1 << 13,
};

/**
 * MAX_NUMNODES is 1 << CONFIG_NODES_SHIFT, and no architecture allows a shift above 10: the
 * kernel refuses any bit from 1024 on, whatever the machine.
 */
export const MAX_NODE = 1023;

export type NodeList = { nodes: number[] } | { error: string; malformed: boolean };

/**
 * A node list as the spec writes it ("0-3,7"): sorted, distinct node numbers. Like runc, blanks
 * around an element and empty elements are allowed; an element that is not a number or an
 * ascending range is `malformed` (the schema's pattern reports those).
 */
export function parseNodeList(text: string): NodeList {
  const nodes = new Set<number>();
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return { error: `${JSON.stringify(part)} is not a node number or range`, malformed: true };
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last < first) return { error: `range ${part} ends before it starts`, malformed: false };
    if (last > MAX_NODE) return { error: `node ${m[2] ?? m[1]} is above ${MAX_NODE}, the largest node number of any kernel`, malformed: false };
    for (let n = first; n <= last; n++) nodes.add(n);
  }
  return { nodes: [...nodes].sort((a, b) => a - b) };
}

/** Back to list form, ranges folded ("0-3,7"). */
export function nodeListText(nodes: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < nodes.length;) {
    let j = i;
    while (j + 1 < nodes.length && nodes[j + 1] === nodes[j] + 1) j++;
    parts.push(j > i ? `${nodes[i]}-${nodes[j]}` : String(nodes[i]));
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * The nodes with memory (the kernel's N_MEMORY): set_mempolicy(2) keeps only those of a mask and
 * fails when none is left. Undefined on a kernel without NUMA (then the call itself fails).
 */
export function hostMemoryNodes(sysfs = '/sys'): number[] | undefined {
  let text: string;
  try {
    text = files.readText(`${sysfs}/devices/system/node/has_memory`).trim();
  } catch {
    return undefined;
  }
  const list = parseNodeList(text);
  return 'nodes' in list ? list.nodes : undefined;
}
