// mounts: deprecated relative destinations, bind mount sources and options, id-mapped mounts.
import { mountOption } from '../../linux/mount-options';
import type { Findings } from '../findings';
import { show } from '../pointer';
import { addNamespaceHint, asArray, asObject, asString, get, type RuleInput } from './guards';
import { eachOf, indexOfFirst, mapped } from '../../text';

export function checkMounts(input: RuleInput, out: Findings): void {
  eachOf(asArray(get(input.spec, 'mounts')) ?? [], (item, i) => {
    const m = asObject(item);
    if (m === undefined) return;
    const at = `/mounts/${i}`;
    const destination = asString(get(m, 'destination'));
    if (destination && !destination.startsWith('/')) {
      out.warn(`${at}/destination`, `relative destination ${show(destination)} is deprecated; it is taken as ${show('/' + destination)}`);
    }
    const options = mapped(asArray(get(m, 'options')) ?? [], asString);
    const isBind = options.includes('bind') || options.includes('rbind');
    if (isBind) checkBind(at, m, options, out);
    checkIdmap(at, m, options, isBind || asString(get(m, 'type')) === 'bind', input, out);
  });
}

function checkBind(at: string, m: Record<string, unknown>, options: (string | undefined)[], out: Findings): void {
  if (!asString(get(m, 'source'))) out.problem(`${at}/source`, 'is required for a bind mount');
  eachOf(options, (o, j) => {
    // Filesystem data is ignored by the kernel for MS_BIND, so such an option silently does nothing.
    if (o !== undefined && mountOption(o) === undefined) {
      out.warn(`${at}/options/${j}`, `${show(o)} has no effect on a bind mount (filesystem-specific options are ignored)`);
    }
  });
}

function checkIdmap(at: string, m: Record<string, unknown>, options: (string | undefined)[], isBind: boolean, input: RuleInput, out: Findings): void {
  const uid = get(m, 'uidMappings');
  const gid = get(m, 'gidMappings');
  if (uid !== undefined && gid === undefined) out.problem(`${at}/gidMappings`, 'is required when uidMappings is set');
  if (gid !== undefined && uid === undefined) out.problem(`${at}/uidMappings`, 'is required when gidMappings is set');
  // An empty list would map nothing: every id of the mount would show as the overflow id.
  for (const [key, v] of [['uidMappings', uid], ['gidMappings', gid]] as const) {
    if (Array.isArray(v) && v.length === 0) out.problem(`${at}/${key}`, 'must not be empty (leave it out to use the container\'s user namespace)');
  }
  const idmapAt = indexOfFirst(options, (o) => o === 'idmap' || o === 'ridmap');
  // mount_setattr(MOUNT_ATTR_IDMAP) maps a detached clone of an existing tree: only a bind has one.
  if (!isBind && (idmapAt >= 0 || uid !== undefined || gid !== undefined)) {
    const where = idmapAt >= 0 ? `${at}/options/${idmapAt}` : `${at}/${uid !== undefined ? 'uidMappings' : 'gidMappings'}`;
    out.problem(where, 'an id-mapped mount must be a bind mount (add "bind" or "rbind" to the options)');
  }
  if (idmapAt >= 0) {
    if (uid === undefined && gid === undefined && input.namespaces.complete && !input.namespaces.has('user')) {
      out.problem(`${at}/options/${idmapAt}`, `${show(options[idmapAt])} needs uidMappings and gidMappings on the mount or a user namespace ${addNamespaceHint('user')}`);
    }
  } else if (uid !== undefined || gid !== undefined) {
    out.warn(`${at}/${uid !== undefined ? 'uidMappings' : 'gidMappings'}`, 'options should include "idmap" or "ridmap" so that runtimes without id-mapped mounts refuse the mount instead of ignoring the mapping');
  }
}
