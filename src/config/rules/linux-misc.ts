// The smaller linux.* sections: devices, intelRdt (memoryPolicy has memory-policy.ts).
import type { Findings } from '../findings';
import { show } from '../pointer';
import { asArray, asObject, asString, get, type RuleInput } from './guards';
import { eachOf } from '../../text';

export function checkLinuxMisc({ linux }: RuleInput, out: Findings): void {
  checkDevices(linux, out);
  checkIntelRdt(asObject(get(linux, 'intelRdt')), out);
}

function checkDevices(linux: Record<string, unknown> | undefined, out: Findings): void {
  const first = new Map<string, number>();
  eachOf(asArray(get(linux, 'devices')) ?? [], (item, i) => {
    const path = asString(get(asObject(item), 'path'));
    if (path === undefined) return;
    const earlier = first.get(path);
    if (earlier === undefined) first.set(path, i);
    else out.warn(`/linux/devices/${i}/path`, `${path} is listed twice (also at /linux/devices/${earlier})`);
  });
}

function checkIntelRdt(rdt: Record<string, unknown> | undefined, out: Findings): void {
  if (rdt === undefined) return;
  const at = '/linux/intelRdt';
  const clos = asString(get(rdt, 'closID'));
  // closID names a directory under the resctrl mount; "/" alone means the root group.
  if (clos !== undefined && clos !== '/' && (clos === '' || clos === '.' || clos === '..' || clos.includes('/'))) {
    out.problem(`${at}/closID`, `must be "/" or a plain directory name (got ${show(clos)})`);
  }
  const mb = asString(get(rdt, 'memBwSchema'));
  if (mb !== undefined) {
    if (!mb.startsWith('MB:')) out.problem(`${at}/memBwSchema`, `must start with "MB:" (got ${show(mb)})`);
    if (mb.includes('\n')) out.problem(`${at}/memBwSchema`, 'must not contain newlines');
  }
  const l3 = asString(get(rdt, 'l3CacheSchema'));
  if (l3 !== undefined && (!l3.startsWith('L3') || l3.includes('\n'))) {
    out.warn(`${at}/l3CacheSchema`, `should start with "L3" and be a single line (got ${show(l3)})`);
  }
  eachOf(asArray(get(rdt, 'schemata')) ?? [], (line, i) => {
    if (asString(line)?.includes('\n')) out.problem(`${at}/schemata/${i}`, 'must not contain newlines; use one entry per line');
  });
}
