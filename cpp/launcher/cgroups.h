// Putting the init into the container's cgroups before it runs anything of its own. The cgroups
// themselves are made (and their limits written) by tsrunc before the launcher starts; the
// launcher only places the process: at birth with clone3(CLONE_INTO_CGROUP) where the kernel and
// the caller's credentials allow it, else by writing its pid to cgroup.procs while it waits for
// "go". Either way the init unshares its cgroup namespace only once it is inside.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

#include "../common/generated/contract.h"
#include "failure.h"
#include "sys.h"

// Opened by the launcher, as host root, before stage 1 changes credentials or namespaces.
Result openCgroupForClone(const CgroupPlan& plan, sys::Fd& out);

// clone(CLONE_PARENT), into the cgroup `cgroupFd` when it is valid. `placed` tells whether it
// was. The kernel checks the cgroup only after allocating the child's pid, and the first pid of a
// new pid namespace cannot be allocated twice: so a refusal falls back to a plain clone (and the
// launcher's cgroup.procs write) only when `canRetry` (no new pid namespace) or the kernel has no
// clone3; otherwise it is the error. Returns the pid (0 in the child), or -1 with errno set.
pid_t cloneInitProcess(int cgroupFd, bool canRetry, bool& placed);

// Writes pid to every cgroup.procs file of the plan, except the clone3 one when it was used.
Result joinCgroups(const CgroupPlan& plan, pid_t pid, bool placedAtBirth);
