// Shared shapes of the cgroup drivers (src/cgroups/v1.ts, v2.ts): what a driver is asked to write,
// and the device rules both kinds of host enforce (v1 as devices.allow/deny lines, v2 as an eBPF
// program). The mappings from linux.resources to files are pure functions (v1-resources.ts,
// v2-resources.ts), so they are tested without a hierarchy; the drivers only apply them.

/** One file write. `controller` picks the hierarchy on v1 ("memory", "cpu", ...); on v2 the
 * file's own prefix names the controller and the write goes to the container's one directory. */
export interface CgroupWrite {
  controller: string;
  file: string;
  value: string;
}

/** A device rule after normalisation: -1 is the wildcard major/minor, type "a" matches all. */
export interface DeviceRule {
  allow: boolean;
  type: 'a' | 'b' | 'c';
  major: number;
  minor: number;
  /** Some of "rwm", in that order; never empty. */
  access: string;
}

/** How a driver reads a current value when a write depends on it (update ordering); undefined
 * when the file does not exist. */
export type CgroupReader = (controller: string, file: string) => string | undefined;
