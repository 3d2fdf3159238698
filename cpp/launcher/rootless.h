// Rootless launches: the launcher runs as an unprivileged user and writes the new user
// namespace's maps as the kernel lets such a user: its own ids directly (setgroups denied first),
// anything wider through the setuid newuidmap/newgidmap, which check /etc/subuid and /etc/subgid.
#pragma once
#include <sys/types.h>

#include "plan.h"
#include "procfs.h"

Result writeContainerIdMaps(pid_t pid, const Plan& plan, const ProcfsHandle& proc);

// Whether this process already runs in a user namespace other than the host's (its uid_map is not
// the identity over every id): rootless podman runs the runtime as root of its own namespace and
// asks for none in the config, yet mknod is just as impossible there.
bool runningInUserNamespace();
