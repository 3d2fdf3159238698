// Mounts onto the container's procfs (CVE-2019-16884): a volume over /proc/self/attr or /proc/sys
// would defeat the LSM labels and sysctls written there, so, as runc, a mount may only put a
// procfs on /proc itself, or cover one of the few files lxcfs emulates. Checked on where the
// destination resolved inside the rootfs (through the image's symlinks), not on its text.
#pragma once
#include "plan.h"
#include "procfs.h"

// `target` is the destination opened inside the rootfs (rootfd), before anything is mounted on it.
Result checkProcMount(const MountPlan& m, int rootfd, int target, const ProcfsHandle& proc);
