// linux.namespaces and everything that only makes sense inside a particular namespace: id mappings,
// hostname, sysctls, time offsets, network devices, masked and read-only paths.
import { sysctlPlacement } from '../../linux/sysctl';
import type { NamespaceType } from '../types';
import type { Findings } from '../findings';
import { join } from '../pointer';
import { addNamespaceHint, aNamespace, asArray, asObject, asString, get, ownEntries, type RuleInput } from './guards';
import { eachOf } from '../../text';

export function checkNamespaces(input: RuleInput, out: Findings): void {
  checkUnique(input, out);
  checkUts(input, out);
  if (!input.namespaces.complete) return;
  checkUserNamespace(input, out);
  checkSysctl(input, out);
  checkTime(input, out);
  checkNeeds(input, out, 'netDevices', 'network');
  checkNeeds(input, out, 'maskedPaths', 'mount');
  checkNeeds(input, out, 'readonlyPaths', 'mount');
}

function checkUnique({ linux }: RuleInput, out: Findings): void {
  const first = new Map<string, number>();
  eachOf(asArray(get(linux, 'namespaces')) ?? [], (item, i) => {
    const type = asString(get(asObject(item), 'type'));
    if (type === undefined) return;
    const earlier = first.get(type);
    if (earlier === undefined) first.set(type, i);
    else out.problem(`/linux/namespaces/${i}/type`, `duplicate namespace type "${type}" (already at /linux/namespaces/${earlier})`);
  });
}

const nonEmpty = (v: unknown): boolean => (Array.isArray(v) ? v.length > 0 : asObject(v) !== undefined && Object.keys(v as object).length > 0);

function checkUserNamespace({ linux, namespaces }: RuleInput, out: Findings): void {
  const uid = get(linux, 'uidMappings');
  const gid = get(linux, 'gidMappings');
  const user = namespaces.get('user');
  if (user === undefined) {
    for (const [key, v] of [['uidMappings', uid], ['gidMappings', gid]] as const) {
      if (nonEmpty(v)) out.problem(`/linux/${key}`, `needs a user namespace ${addNamespaceHint('user')}`);
    }
    return;
  }
  if (user.path === undefined && (!nonEmpty(uid) || !nonEmpty(gid))) {
    const missing = [!nonEmpty(uid) && '/linux/uidMappings', !nonEmpty(gid) && '/linux/gidMappings'].filter(Boolean).join(' and ');
    out.problem(`/linux/namespaces/${user.index}`, `a new user namespace needs ${missing}`);
  }
}

// sethostname(2)/setdomainname(2) refuse more than __NEW_UTS_LEN bytes.
const UTS_NAME_MAX = 64;

function checkUts({ spec, namespaces }: RuleInput, out: Findings): void {
  for (const field of ['hostname', 'domainname']) {
    const value = asString(get(spec, field));
    if (!value) continue;
    if (namespaces.complete && !namespaces.has('uts')) out.problem(`/${field}`, `setting the ${field} needs a uts namespace ${addNamespaceHint('uts')}`);
    const bytes = Buffer.byteLength(value);
    if (bytes > UTS_NAME_MAX) out.problem(`/${field}`, `must be at most ${UTS_NAME_MAX} bytes (got ${bytes})`);
  }
}

function checkSysctl({ linux, namespaces }: RuleInput, out: Findings): void {
  for (const [key] of ownEntries(asObject(get(linux, 'sysctl')))) {
    const at = join('/linux/sysctl', key);
    const place = sysctlPlacement(key);
    if (place.namespace === undefined) {
      out.problem(at, 'is not namespaced: setting it would change the host');
    } else if (place.conflictsWith !== undefined) {
      out.problem(at, `conflicts with ${place.conflictsWith}; set the value there instead`);
    } else if (!namespaces.has(place.namespace)) {
      out.problem(at, `needs ${aNamespace(place.namespace)} ${addNamespaceHint(place.namespace)}, or it would change the host`);
    }
  }
}

function checkTime({ linux, namespaces }: RuleInput, out: Findings): void {
  if (!nonEmpty(get(linux, 'timeOffsets'))) return;
  const time = namespaces.get('time');
  if (time === undefined) {
    out.problem('/linux/timeOffsets', `needs a new time namespace ${addNamespaceHint('time')}`);
  } else if (time.path !== undefined) {
    out.problem('/linux/timeOffsets', `cannot be applied to an existing time namespace (/linux/namespaces/${time.index}/path); remove one of the two`);
  }
}

function checkNeeds({ linux, namespaces }: RuleInput, out: Findings, field: string, type: NamespaceType): void {
  if (nonEmpty(get(linux, field)) && !namespaces.has(type)) {
    out.problem(`/linux/${field}`, `needs ${aNamespace(type)} ${addNamespaceHint(type)}`);
  }
}
