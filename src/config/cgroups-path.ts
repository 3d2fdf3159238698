// The systemd form of linux.cgroupsPath, known to config validation (which checks it) and to the
// cgroups layer (which parses it); kept here, below both.

/** systemd's "slice:prefix:name"; the slice may be empty (systemd's default is used). */
export const SYSTEMD_CGROUPS_PATH = /^([^:/]*):([^:/]*):([^:/]+)$/;
