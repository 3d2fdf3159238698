// The systemd form of linux.cgroupsPath, known to config validation (which checks it) and to the
// cgroups layer (which parses it); kept here, below both. Also the prefix of the annotations that
// set unit properties, so that validation loads their parser only for a config that has one.

/** systemd's "slice:prefix:name" as [slice, prefix, name], or undefined for another form: exactly
 * two colons, no slash, a name that is not empty; the slice may be empty (systemd's default is
 * used). (A loop rather than a regular expression: create checks every config with it.) */
export function systemdCgroupsPathParts(path: string): [string, string, string] | undefined {
  if (path.indexOf('/') >= 0) return undefined;
  const first = path.indexOf(':');
  const second = first < 0 ? -1 : path.indexOf(':', first + 1);
  if (second < 0 || path.indexOf(':', second + 1) >= 0 || second === path.length - 1) return undefined;
  return [path.slice(0, first), path.slice(first + 1, second), path.slice(second + 1)];
}

/** Annotations `org.systemd.property.<Name>` set a property of the container's scope unit. */
export const SYSTEMD_PROPERTY_ANNOTATION = 'org.systemd.property.';
