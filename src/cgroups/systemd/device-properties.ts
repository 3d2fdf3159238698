// The container's device rules as systemd's DevicePolicy= and DeviceAllow= (runc's mapping of
// linux.resources.devices under its systemd driver), so that the unit says what the cgroup
// enforces and systemd, which re-installs its own device program whenever it re-applies the
// unit's settings (daemon-reload, SetUnitProperties of device rules), keeps the same devices open.
// tsrunc's own program (device-program.ts) is attached over systemd's at create and update, as
// the files driver does; while both are attached, a device must pass both.
//
// systemd only has allow rules, over a default of deny ("strict"):
// - rules ending in deny-all (the usual: "deny a", then the allowed devices) become the allowed
//   devices: "/dev/char/1:3" for one device, "char-136" for a whole major, "char-*" for all;
// - an allow rule narrowed by a later deny rule that covers it keeps only the access left;
// - "*:n" (every major, one minor) has no systemd spelling: left out, as runc does (tsrunc's own
//   program still allows it);
// - rules ending in allow-all ("allow a", perhaps then some denies) become DevicePolicy=auto with
//   no DeviceAllow, systemd's "no restriction", and tsrunc's program does the denying. runc tells
//   systemd to deny everything there, which breaks the container's devices once systemd
//   re-applies its program.
import { Variant } from '../../dbus/marshal';
import { DEVICE_WILDCARD } from '../devices';
import type { DeviceRule } from '../types';
import type { UnitProperty } from './systemd-api';

/** systemd's spelling of the devices a rule names, or undefined when it has none. */
function devicePath(rule: DeviceRule): string | undefined {
  const group = rule.type === 'b' ? 'block' : 'char';
  if (rule.major === DEVICE_WILDCARD) return rule.minor === DEVICE_WILDCARD ? `${group}-*` : undefined;
  if (rule.minor === DEVICE_WILDCARD) return `${group}-${rule.major}`;
  return `/dev/${group}/${rule.major}:${rule.minor}`;
}

/** True when every device `narrow` names is also named by `wide`. */
function covers(wide: DeviceRule, narrow: DeviceRule): boolean {
  return wide.type === narrow.type
    && (wide.major === DEVICE_WILDCARD || wide.major === narrow.major)
    && (wide.minor === DEVICE_WILDCARD || wide.minor === narrow.minor);
}

const access = (letters: Set<string>): string => [...'rwm'].filter((c) => letters.has(c)).join('');

/** The rules (in the order they apply, as deviceRules() gives them) as unit properties. */
export function deviceProperties(rules: readonly DeviceRule[]): UnitProperty[] {
  const reset = rules.map((r) => r.type).lastIndexOf('a');
  const noRules: UnitProperty = ['DeviceAllow', new Variant('a(ss)', [])];
  if (reset >= 0 && rules[reset].allow) return [noRules, ['DevicePolicy', new Variant('s', 'auto')]];
  const live = rules.slice(reset + 1);
  const allowed = new Map<string, Set<string>>();
  live.forEach((rule, i) => {
    if (!rule.allow) return;
    const path = devicePath(rule);
    if (path === undefined) return;
    const letters = new Set(rule.access);
    for (const later of live.slice(i + 1)) {
      if (!later.allow && covers(later, rule)) for (const c of later.access) letters.delete(c);
    }
    if (letters.size === 0) return;
    const had = allowed.get(path) ?? new Set<string>();
    for (const c of letters) had.add(c);
    allowed.set(path, had);
  });
  const entries = [...allowed].map(([path, letters]) => [path, access(letters)]);
  // The empty list first clears what the unit had (on update); then the policy and the list.
  return [noRules, ['DevicePolicy', new Variant('s', 'strict')], ['DeviceAllow', new Variant('a(ss)', entries)]];
}
