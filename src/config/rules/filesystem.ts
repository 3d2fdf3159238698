// Checks that need the host filesystem; run only when a bundle is given (tsrunc validate, create).
//
// A namespace `path` is checked for existence. Its type can only be proven with
// ioctl(NS_GET_NSTYPE), which Node lacks, so here the type is checked only for /proc/<pid>/ns/<name>
// paths, whose link name says it; any other file (e.g. a bind mount under /run/netns) is left to the
// launcher, which verifies every namespace fd with the ioctl before joining it.
import * as files from '../../sys/files';
import { path } from '../../sys/path';
import { isRuntimesOwnNamespace, NAMESPACE_KINDS } from '../../linux/namespaces';
import { sysctlPlacement } from '../../linux/sysctl';
import type { Findings } from '../findings';
import { join } from '../pointer';
import { asArray, asObject, asString, get, ownEntries, type RuleInput } from './guards';
import { checkNetDevicesOnHost } from './net-devices';
import { eachOf, findFirst, kept, mapped } from '../../text';

export function checkFilesystem(input: RuleInput, bundle: string, out: Findings): void {
  checkRoot(input, bundle, out);
  checkNamespacePaths(input, out);
  checkHostNetworkSysctl(input, out);
  checkNetDevicesOnHost(input, out);
}

function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT': return 'does not exist';
    case 'EACCES': return 'is not accessible (permission denied)';
    case 'ENOTDIR': return 'does not exist (a parent is not a directory)';
    case 'ELOOP': return 'cannot be resolved (too many levels of symbolic links)';
    default: return `cannot be checked: ${(e as Error).message}`;
  }
}

function checkRoot({ spec }: RuleInput, bundle: string, out: Findings): void {
  const rootPath = asString(get(asObject(get(spec, 'root')), 'path'));
  if (!rootPath) return;
  const abs = path.resolve(bundle, rootPath);
  try {
    if (!files.stat(abs).isDirectory()) out.problem('/root/path', `${abs} is not a directory`);
  } catch (e) {
    out.problem('/root/path', `${abs} ${errnoText(e)}`);
  }
}

/** /proc/<pid>/ns/<name>, /proc/self/..., /proc/<pid>/task/<tid>/ns/<name>. */
const PROC_NS = /^\/proc\/(?:\d+|self|thread-self)(?:\/task\/\d+)?\/ns\/([a-z_]+)$/;

function typeOfProcLink(name: string): string | undefined {
  const base = name.replace(/_for_children$/, '');
  return findFirst(NAMESPACE_KINDS, (k) => k.procName === base)?.type;
}

function checkNamespacePaths({ linux }: RuleInput, out: Findings): void {
  eachOf(asArray(get(linux, 'namespaces')) ?? [], (item, i) => {
    const ns = asObject(item);
    const type = asString(get(ns, 'type'));
    const nsPath = asString(get(ns, 'path'));
    if (!nsPath || !nsPath.startsWith('/')) return;
    const at = `/linux/namespaces/${i}/path`;
    try {
      files.stat(nsPath);
    } catch (e) {
      out.problem(at, `${nsPath} ${errnoText(e)}`);
      return;
    }
    const m = PROC_NS.exec(nsPath);
    const actual = m ? typeOfProcLink(m[1]) : undefined;
    if (type !== undefined && actual !== undefined && actual !== type) {
      out.problem(at, `${nsPath} is a ${actual} namespace, not a ${type} namespace`);
    }
  });
}

/** A net.* sysctl in a joined network namespace that is the runtime's own would change the host. */
function checkHostNetworkSysctl({ linux, namespaces }: RuleInput, out: Findings): void {
  const net = namespaces.get('network');
  if (net?.path === undefined) return;
  const netKeys = kept(mapped(ownEntries(asObject(get(linux, 'sysctl'))), ([k]) => k), (k) => sysctlPlacement(k).namespace === 'network');
  if (netKeys.length === 0) return;
  // A missing path (undefined) is reported by checkNamespacePaths.
  if (isRuntimesOwnNamespace('network', net.path) !== true) return;
  for (const key of netKeys) {
    out.problem(join('/linux/sysctl', key), `would change the host: /linux/namespaces/${net.index}/path is the host's network namespace`);
  }
}
