// The namespace kinds tsrunc knows, in the order the launcher joins them (user first so that the
// others are joined with the right owner, mount last-but-two so /proc paths of the others resolve).
import * as files from '../sys/files';
import { findFirst, mapped } from '../text';

/** The kernel's namespace kinds, by the names runtime-spec gives them. config/types.ts has the
 * same union for config.json (checked against the schema there); the compiler checks the two agree
 * wherever a config value reaches this layer. */
export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

export interface NamespaceKind {
  type: NamespaceType;
  /** CLONE_NEW* flag; also the value NS_GET_NSTYPE returns for a namespace fd of this kind. */
  cloneFlag: number;
  /** Name of the link under /proc/PID/ns/. */
  procName: string;
}

export const NAMESPACE_KINDS: readonly NamespaceKind[] = [
  { type: 'user', cloneFlag: 0x10000000, procName: 'user' },
  { type: 'ipc', cloneFlag: 0x08000000, procName: 'ipc' },
  { type: 'uts', cloneFlag: 0x04000000, procName: 'uts' },
  { type: 'network', cloneFlag: 0x40000000, procName: 'net' },
  { type: 'pid', cloneFlag: 0x20000000, procName: 'pid' },
  { type: 'mount', cloneFlag: 0x00020000, procName: 'mnt' },
  { type: 'cgroup', cloneFlag: 0x02000000, procName: 'cgroup' },
  { type: 'time', cloneFlag: 0x00000080, procName: 'time' },
];

export const NAMESPACE_TYPES: readonly NamespaceType[] = mapped(NAMESPACE_KINDS, (k) => k.type);

export function namespaceKind(type: string): NamespaceKind | undefined {
  return findFirst(NAMESPACE_KINDS, (k) => k.type === type);
}

/**
 * Whether the namespace file at `path` is this process's own namespace of that type (same nsfs
 * inode as /proc/self/ns/<name>); undefined when either cannot be read.
 */
export function isRuntimesOwnNamespace(type: NamespaceType, path: string): boolean | undefined {
  const kind = namespaceKind(type);
  if (kind === undefined) return undefined;
  try {
    const own = files.stat(`/proc/self/ns/${kind.procName}`);
    const other = files.stat(path);
    return own.dev === other.dev && own.ino === other.ino;
  } catch {
    return undefined;
  }
}
