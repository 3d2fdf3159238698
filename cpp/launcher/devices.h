// The devices of the container (runc's defaults and linux.devices), made inside the rootfs after
// the mounts. config-linux.md § Devices: a file already at a device's path that is not the
// requested device is an error; one that is (same type, major and minor) is kept as it is, as runc
// keeps it. Every path is checked before anything is made, so a refusal leaves nothing behind.
#pragma once
#include "plan.h"

// mknod as the container's root; in a user namespace (no mknod there: the container's own, or the
// one the runtime already runs in, as under rootless podman) the host's node is bound onto an
// empty file made at the path, as runc does.
Result makeDevices(const Plan& plan, int rootfd);
