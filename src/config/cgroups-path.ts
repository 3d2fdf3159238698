// The systemd form of linux.cgroupsPath, known to config validation (which checks it) and to the
// cgroups layer (which parses it); kept here, below both. Also the prefix of the annotations that
// set unit properties, so that validation loads their parser only for a config that has one.

/** systemd's "slice:prefix:name"; the slice may be empty (systemd's default is used). */
export const SYSTEMD_CGROUPS_PATH = /^([^:/]*):([^:/]*):([^:/]+)$/;

/** Annotations `org.systemd.property.<Name>` set a property of the container's scope unit. */
export const SYSTEMD_PROPERTY_ANNOTATION = 'org.systemd.property.';
