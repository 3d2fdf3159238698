// linux.intelRdt needs a mounted resctrl filesystem: config-linux.md says the runtime MUST fail
// without one, and MUST write the container to its tasks file with one. This build has no resctrl
// side at all (features: intelRdt.enabled false), so every intelRdt object, even an empty one, is
// refused before anything exists, with the reason: on a host without resctrl in runc ≥ 1.4's
// words, elsewhere as not implemented. runc < 1.4 silently ignores a config with only closID.
import * as files from '../sys/files';
import { TsruncError } from '../errors';

/** The first resctrl mount point in a mountinfo text, or undefined. */
export function resctrlMountPoint(mountinfo: string): string | undefined {
  for (const line of mountinfo.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash >= 0 && line.slice(dash + 3).startsWith('resctrl ')) return line.slice(0, dash).split(' ')[4];
  }
  return undefined;
}

function hostResctrl(): string | undefined {
  try {
    return resctrlMountPoint(files.readText('/proc/self/mountinfo'));
  } catch {
    return undefined;
  }
}

/** Throws when the config asks for Intel RDT; `resctrl` is where the host mounts it, if it does. */
export function refuseIntelRdt(spec: { linux?: { intelRdt?: unknown } }, resctrl: () => string | undefined = hostResctrl): void {
  if (!spec.linux?.intelRdt) return;
  const at = resctrl();
  const why = at === undefined
    ? 'intelRdt is specified in config, but Intel RDT is not enabled (no resctrl filesystem is mounted)'
    : `Intel RDT is not implemented by this tsrunc build (resctrl is mounted at ${at})`;
  throw new TsruncError(`config.json: /linux/intelRdt: ${why}`);
}
