// The device rules a container's cgroup enforces, shared by the v1 driver (devices.allow/deny lines)
// and the v2 one (an eBPF program): linux.resources.devices as written, then the rules runc 1.1
// adds to every container (libcontainer/specconv AllowedDevices).
import type { Device, DeviceCgroup, Resources } from '../config/types';
import type { DeviceRule } from './types';
import { anyOf, mapped } from '../text';

/** The major/minor that matches every number ("*" in devices.allow). */
export const DEVICE_WILDCARD = -1;

interface DefaultRule {
  /** The device node runc also creates for this rule, if any. */
  path?: string;
  rule: DeviceRule;
}

const allow = (type: 'b' | 'c', major: number, minor: number, access: string): DeviceRule =>
  ({ allow: true, type, major, minor, access });

// runc 1.1's list, in its order. The two "m" rules let a container mknod any device node (it
// still cannot open one without a rule of its own); 136:* is every /dev/pts slave, 5:2 /dev/ptmx,
// 10:200 /dev/net/tun. runc keeps these even when the config denies everything first, so a
// config cannot take them away: tsrunc must do the same for a container to behave the same.
const DEFAULT_RULES: readonly DefaultRule[] = [
  { rule: allow('c', DEVICE_WILDCARD, DEVICE_WILDCARD, 'm') },
  { rule: allow('b', DEVICE_WILDCARD, DEVICE_WILDCARD, 'm') },
  { path: '/dev/null', rule: allow('c', 1, 3, 'rwm') },
  { path: '/dev/random', rule: allow('c', 1, 8, 'rwm') },
  { path: '/dev/full', rule: allow('c', 1, 7, 'rwm') },
  { path: '/dev/tty', rule: allow('c', 5, 0, 'rwm') },
  { path: '/dev/zero', rule: allow('c', 1, 5, 'rwm') },
  { path: '/dev/urandom', rule: allow('c', 1, 9, 'rwm') },
  { rule: allow('c', 136, DEVICE_WILDCARD, 'rwm') },
  { rule: allow('c', 5, 2, 'rwm') },
  { rule: allow('c', 10, 200, 'rwm') },
];

/** Access letters as the kernel prints them: each of r, w, m at most once, in that order. A
 * missing access means all three (the config has been validated: only r, w and m occur). */
export function normaliseAccess(access: string | undefined): string {
  if (access === undefined || access === '') return 'rwm';
  let out = '';
  for (let i = 0; i < 3; i++) if (access.includes('rwm'[i])) out += 'rwm'[i];
  return out;
}

/** One linux.resources.devices entry, with its defaults filled in. */
export function normaliseDeviceRule(d: DeviceCgroup): DeviceRule {
  const type = d.type === 'b' || d.type === 'c' ? d.type : 'a';
  return {
    allow: d.allow,
    type,
    major: d.major ?? DEVICE_WILDCARD,
    minor: d.minor ?? DEVICE_WILDCARD,
    access: normaliseAccess(d.access),
  };
}

/**
 * The rules to enforce, in the order they are to be applied: the config's own, then runc's
 * defaults.
 *
 * `linuxDevices` (linux.devices) matters as it does to runc 1.1: a default rule that comes with a
 * device node (/dev/null ... /dev/urandom) is dropped when linux.devices has an entry at the same
 * path, because that entry replaces the default node and may carry other numbers; its access is
 * then whatever linux.resources.devices grants. runc adds no allow rule for linux.devices entries
 * themselves: creating a node and being allowed to open it are separate, and a config that wants
 * a device usable lists it in linux.resources.devices too (as containerd and podman do).
 */
export function deviceRules(resources: Resources | undefined, linuxDevices?: readonly Pick<Device, 'path'>[]): DeviceRule[] {
  const replaced = new Set(mapped(linuxDevices ?? [], (d) => d.path));
  const own = mapped(resources?.devices ?? [], (d) => normaliseDeviceRule(d));
  // Unlike runc, a default never overrides the config's own rule for the same device: runc
  // appends /dev/null rwm after whatever the config says, so no config can make it read-only.
  const sameDevice = (a: DeviceRule, b: DeviceRule): boolean => a.type === b.type && a.major === b.major && a.minor === b.minor;
  const rules = own.slice();
  for (const d of DEFAULT_RULES) {
    if (d.path !== undefined && replaced.has(d.path)) continue;
    if (anyOf(own, (r) => sameDevice(r, d.rule))) continue;
    rules.push({ ...d.rule });
  }
  return rules;
}

/** The rule as devices.allow/deny take it and devices.list prints it: "c 1:3 rwm", "a *:* rwm". */
export function deviceRuleText(rule: DeviceRule): string {
  const num = (n: number): string => (n === DEVICE_WILDCARD ? '*' : String(n));
  return `${rule.type} ${num(rule.major)}:${num(rule.minor)} ${rule.access}`;
}
