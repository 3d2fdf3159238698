// linux.netDevices beyond the schema's name pattern: what the kernel takes as an interface name
// (bytes, not characters; one "%d" template), names that would meet in the container, and, with a
// bundle, the host side: each device exists in the runtime's network namespace, and the container
// does not share that namespace. Needing a network namespace at all is checked in namespaces.ts.
import * as files from '../../sys/files';
import type { Findings } from '../findings';
import { join, show } from '../pointer';
import { isRuntimesOwnNamespace } from '../../linux/namespaces';
import { asObject, asString, get, ownEntries, type RuleInput } from './guards';

// IFNAMSIZ (16) with its NUL.
const MAX_NAME_BYTES = 15;
// The kernel's isspace() also matches byte 0xa0 (Latin-1 no-break space), which UTF-8 uses inside
// characters such as "à"; dev_valid_name() refuses any name holding it.
const KERNEL_SPACE_BYTE = 0xa0;
const ONE_TEMPLATE = /^[^%]*%d[^%]*$/;

export function checkNetDevices({ linux }: RuleInput, out: Findings): void {
  // Name in the container -> the device that takes it.
  const taken = new Map<string, string>();
  for (const [hostName, value] of ownEntries(asObject(get(linux, 'netDevices')))) {
    const at = join('/linux/netDevices', hostName);
    const keyProblem = hostName.includes('%') ? 'key must be the name of a host interface, which never contains "%"' : kernelNameProblem(hostName, 'key must be');
    if (keyProblem) out.problem(at, `${keyProblem} (got ${show(hostName)})`);
    const name = asString(get(asObject(value), 'name'));
    const nameAt = `${at}/name`;
    if (name !== undefined) {
      const nameProblem = name.includes('%') && !ONE_TEMPLATE.test(name)
        ? 'may contain "%" only as one "%d", for the kernel to replace with a free number'
        : kernelNameProblem(name, 'must be');
      if (nameProblem) out.problem(nameAt, `${nameProblem} (got ${show(name)})`);
    }
    const inContainer = name ?? hostName;
    const where = name !== undefined ? nameAt : at;
    if (inContainer.includes('%')) continue;
    if (inContainer === 'lo') {
      out.problem(where, '"lo" is already in every network namespace; give the device another name');
      continue;
    }
    const earlier = taken.get(inContainer);
    if (earlier !== undefined) out.problem(where, `${show(inContainer)} is already the container's name for ${earlier}`);
    else taken.set(inContainer, at);
  }
}

/** The schema counts characters; the kernel counts bytes and has its own idea of a space. */
function kernelNameProblem(name: string, lead: string): string | undefined {
  const bytes = Buffer.from(name);
  // A name over 15 characters is the schema's to report.
  if (name.length <= MAX_NAME_BYTES && bytes.length > MAX_NAME_BYTES) return `${lead} at most ${MAX_NAME_BYTES} bytes, the kernel's limit (this one is ${bytes.length})`;
  if (bytes.includes(KERNEL_SPACE_BYTE)) return `${lead} free of byte 0xa0, which the kernel counts as a space`;
  return undefined;
}

/** With a bundle: the devices exist where the runtime runs, and the container has its own namespace. */
export function checkNetDevicesOnHost({ linux, namespaces }: RuleInput, out: Findings): void {
  const devices = ownEntries(asObject(get(linux, 'netDevices')));
  if (devices.length === 0) return;
  const net = namespaces.get('network');
  if (net?.path !== undefined && isRuntimesOwnNamespace('network', net.path) === true) {
    out.problem('/linux/netDevices', `the devices cannot move: /linux/namespaces/${net.index}/path is the runtime's own network namespace`);
  }
  const present = runtimeInterfaces();
  if (present === undefined) return;
  for (const [hostName] of devices) {
    if (!present.has(hostName)) out.problem(join('/linux/netDevices', hostName), `no network interface named ${show(hostName)} in the runtime's network namespace`);
  }
}

/** Interface names of this process's network namespace (/proc/self/net/dev: "  name: counters"). */
function runtimeInterfaces(): Set<string> | undefined {
  let text: string;
  try {
    text = files.readText('/proc/self/net/dev');
  } catch {
    return undefined; // no procfs: the launcher looks each device up before anything exists
  }
  const names = new Set<string>();
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon > 0) names.add(line.slice(0, colon).trim());
  }
  return names;
}
