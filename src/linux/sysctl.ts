// Which namespace makes a sysctl private to the container. /proc/sys is only partly namespaced:
// writing any other key from inside the container would change the host, so such keys are refused.
import type { NamespaceType } from './namespaces';

interface SysctlRule {
  /** A key equal to this, or starting with it when it ends in "." or is marked prefix. */
  match: string;
  prefix: boolean;
  namespace: NamespaceType;
  /** Set when a dedicated config field owns the value, so the sysctl would fight it. */
  conflictsWith?: string;
}

const RULES: readonly SysctlRule[] = [
  // SysV IPC limits and id counters (kernel.shm*, kernel.msg*, kernel.sem*) and POSIX mqueues.
  { match: 'kernel.shm', prefix: true, namespace: 'ipc' },
  { match: 'kernel.msg', prefix: true, namespace: 'ipc' },
  { match: 'kernel.sem', prefix: true, namespace: 'ipc' },
  { match: 'fs.mqueue.', prefix: true, namespace: 'ipc' },
  { match: 'net.', prefix: true, namespace: 'network' },
  { match: 'kernel.domainname', prefix: false, namespace: 'uts' },
  { match: 'kernel.hostname', prefix: false, namespace: 'uts', conflictsWith: '/hostname' },
  // user.max_* count per user namespace.
  { match: 'user.', prefix: true, namespace: 'user' },
];

export interface SysctlPlacement {
  /** The key in dotted form. */
  key: string;
  namespace?: NamespaceType;
  conflictsWith?: string;
}

/**
 * Keys may be written with "/" separators (net/ipv4/ip_forward, as under /proc/sys); then a "."
 * inside a component is literal (an interface name such as eth0.100), so the two swap roles.
 */
export function dottedSysctlKey(key: string): string {
  const first = key.search(/[./]/);
  if (first < 0 || key[first] === '.') return key;
  return key.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

export function sysctlPlacement(key: string): SysctlPlacement {
  const dotted = dottedSysctlKey(key);
  for (const rule of RULES) {
    if (rule.prefix ? dotted.startsWith(rule.match) : dotted === rule.match) {
      return { key: dotted, namespace: rule.namespace, conflictsWith: rule.conflictsWith };
    }
  }
  return { key: dotted };
}

/** /proc/sys path of a key, for the launcher. */
export function sysctlProcPath(key: string): string {
  return '/proc/sys/' + dottedSysctlKey(key).replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}
