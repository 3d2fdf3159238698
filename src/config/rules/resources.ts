// linux.cgroupsPath and linux.resources: relations between values that the schema checks one by one.
import type { Findings } from '../findings';
import { join, show } from '../pointer';
import { asArray, asNumber, asObject, asString, get, ownEntries, type RuleInput } from './guards';
import { systemdCgroupsPathParts, SYSTEMD_PROPERTY_ANNOTATION } from '../cgroups-path';
import { eachOf } from '../../text';

export function checkCgroups(input: RuleInput, out: Findings): void {
  checkCgroupsPath(input, out);
  checkSystemdAnnotations(input, out);
  const resources = asObject(get(input.linux, 'resources'));
  if (resources === undefined) return;
  checkMemory(asObject(get(resources, 'memory')), out);
  checkCpu(asObject(get(resources, 'cpu')), out);
  checkBlockIO(asObject(get(resources, 'blockIO')), out);
  for (const [name, v] of ownEntries(asObject(get(resources, 'rdma')))) {
    const entry = asObject(v);
    if (entry !== undefined && get(entry, 'hcaHandles') === undefined && get(entry, 'hcaObjects') === undefined) {
      out.problem(join('/linux/resources/rdma', name), 'needs hcaHandles or hcaObjects');
    }
  }
}


function checkCgroupsPath({ linux, options }: RuleInput, out: Findings): void {
  const path = asString(get(linux, 'cgroupsPath'));
  if (!path || options.systemdCgroup === undefined) return;
  const m = systemdCgroupsPathParts(path);
  if (options.systemdCgroup) {
    if (!m) out.problem('/linux/cgroupsPath', `must have the form slice:prefix:name with --systemd-cgroup, e.g. system.slice:tsrunc:id (got ${show(path)})`);
    else if (m[0] !== '' && !m[0].endsWith('.slice')) out.problem('/linux/cgroupsPath', `the slice part must end in ".slice" (got ${show(m[0])})`);
  } else if (m && (m[0] === '' || m[0].endsWith('.slice'))) {
    out.warn('/linux/cgroupsPath', `${show(path)} has the systemd form slice:prefix:name but --systemd-cgroup is not set; it is used as a directory name`);
  }
}

/** org.systemd.property.<Name> annotations, as the systemd driver reads them. The cgroupfs driver
 * ignores them, so there a bad one is only a warning. */
function checkSystemdAnnotations({ spec, options }: RuleInput, out: Findings): void {
  for (const [key, value] of ownEntries(asObject(get(spec, 'annotations')))) {
    if (!key.startsWith(SYSTEMD_PROPERTY_ANNOTATION) || typeof value !== 'string') continue;
    try {
      // Loaded only for a config with such an annotation (it brings the D-Bus marshalling code).
      const { annotationProperties } = require('../systemd-annotations') as typeof import('../systemd-annotations');
      annotationProperties({ [key]: value });
    } catch (e) {
      // The pointer names the annotation already.
      const why = (e as Error).message.replace(/^annotations\[".*?"\]: /, '');
      if (options.systemdCgroup === false) out.warn(join('/annotations', key), `ignored without --systemd-cgroup, and refused with it: ${why}`);
      else out.problem(join('/annotations', key), why);
    }
  }
}

function checkMemory(memory: Record<string, unknown> | undefined, out: Findings): void {
  const limit = asNumber(get(memory, 'limit'));
  const swap = asNumber(get(memory, 'swap'));
  // swap is the memory+swap total, so below the memory limit it cannot be honoured.
  if (limit !== undefined && swap !== undefined && limit > 0 && swap > 0 && swap < limit) {
    out.problem('/linux/resources/memory/swap', `must be at least the memory limit ${limit}, as it counts memory plus swap (got ${swap})`);
  }
}

function checkCpu(cpu: Record<string, unknown> | undefined, out: Findings): void {
  const quota = asNumber(get(cpu, 'quota'));
  const burst = asNumber(get(cpu, 'burst'));
  if (quota !== undefined && burst !== undefined && quota > 0 && burst > quota) {
    out.problem('/linux/resources/cpu/burst', `must not exceed quota ${quota} (got ${burst})`);
  }
}

function checkBlockIO(blockIO: Record<string, unknown> | undefined, out: Findings): void {
  eachOf(asArray(get(blockIO, 'weightDevice')) ?? [], (item, i) => {
    const d = asObject(item);
    if (d !== undefined && get(d, 'weight') === undefined && get(d, 'leafWeight') === undefined) {
      out.problem(`/linux/resources/blockIO/weightDevice/${i}`, 'needs weight or leafWeight');
    }
  });
}
