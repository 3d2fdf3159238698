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

// A rootless caller (no CAP_SYS_PTRACE over this process) can join the namespaces of a created
// container's waiting init only if the init is dumpable: /proc/PID/ns/* and setns through a pidfd
// both ask for ptrace access. runc 1.1.5's waiting init is dumpable there too, so `exec` into a
// created rootless container works; the exposure (a process exec'd into that container may
// ptrace the init until `start`) is named in docs/security.md. A no-op for any other caller.
void letRootlessCallerJoin(const Plan& plan);
