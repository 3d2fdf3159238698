// Rootless launches: the launcher runs as an unprivileged user and writes the new user
// namespace's maps as the kernel lets such a user: its own ids directly (setgroups denied first),
// anything wider through the setuid newuidmap/newgidmap, which check /etc/subuid and /etc/subgid.
#pragma once
#include <sys/types.h>

#include "plan.h"
#include "procfs.h"

Result writeContainerIdMaps(pid_t pid, const Plan& plan, const ProcfsHandle& proc);
