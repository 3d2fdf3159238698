// Where a container's cgroup goes under systemd (--systemd-cgroup): cgroupsPath "slice:prefix:name"
// names the scope unit `<prefix>-<name>.scope` (runc's rule; an empty prefix is kept, giving
// "-name.scope" as runc does) in the slice (default system.slice; "-.slice" is the root slice).
// A cgroupsPath left empty is ":runc:<id>" (runc's default). systemd spells nested slices with
// dashes: a-b.slice is the child of a.slice, at /a.slice/a-b.slice.
import * as path from 'node:path';
import { TsruncError } from '../../errors';
import { parseSystemdCgroupsPath } from '../path';

export interface SystemdUnitPlace {
  /** The parent slice unit, e.g. "system.slice". */
  slice: string;
  /** The scope unit, e.g. "tsrunc-abc.scope". */
  unit: string;
  /** The scope's cgroup, from the hierarchy's root: "/system.slice/tsrunc-abc.scope". */
  cgroupPath: string;
}

/** systemd's own limit on a unit name. */
const UNIT_NAME_MAX = 255;
/** The characters systemd allows in a unit name (unit_name_is_valid). */
const UNIT_NAME_CHARS = /^[A-Za-z0-9:_.\\-]+$/;

/** The cgroup path of a slice: "a-b.slice" -> "/a.slice/a-b.slice"; "-.slice" -> "/". */
export function expandSlice(slice: string): string {
  const bad = (why: string): never => { throw new TsruncError(`invalid slice name ${JSON.stringify(slice)}: ${why}`); };
  if (!slice.endsWith('.slice') || slice === '.slice') bad('it must be NAME.slice');
  if (slice.includes('/')) bad('a slice name has no "/" (nested slices are spelled a-b.slice)');
  if (!UNIT_NAME_CHARS.test(slice)) bad('only letters, digits and ":_.\\-" are allowed');
  const name = slice.slice(0, -'.slice'.length);
  if (name === '-') return '/';
  let out = '';
  let prefix = '';
  for (const part of name.split('-')) {
    if (part === '') bad('no part between dashes may be empty, nor may it begin or end with a dash');
    out += `/${prefix}${part}.slice`;
    prefix += `${part}-`;
  }
  return out;
}

export function systemdUnitPlace(cgroupsPath: string | undefined, id: string): SystemdUnitPlace {
  const { slice, prefix, name } = cgroupsPath ? parseSystemdCgroupsPath(cgroupsPath) : { slice: 'system.slice', prefix: 'runc', name: id };
  if (name.endsWith('.slice')) {
    throw new TsruncError(`cgroupsPath ${JSON.stringify(cgroupsPath)}: a slice as the container's own unit is not supported by tsrunc; name a scope (slice:prefix:name)`);
  }
  const unit = `${prefix}-${name}.scope`;
  if (unit.length > UNIT_NAME_MAX || !UNIT_NAME_CHARS.test(unit)) {
    throw new TsruncError(`cgroupsPath ${JSON.stringify(cgroupsPath ?? '')}: ${JSON.stringify(unit)} is not a valid systemd unit name`);
  }
  return { slice, unit, cgroupPath: path.posix.join(expandSlice(slice), unit) };
}
