// Joining and creating namespaces, and the id maps and clock offsets that go with them.
#pragma once
#include <sys/types.h>

#include <vector>

#include "plan.h"
#include "sys.h"

struct JoinedNamespace {
  const NamespacePlan* plan;
  sys::Fd fd;
};

// Opens every namespace the plan joins and checks each is of the declared type (NS_GET_NSTYPE).
Result openJoinedNamespaces(const Plan& plan, std::vector<JoinedNamespace>& out);

// setns() into one joined namespace.
Result joinNamespace(const JoinedNamespace& ns);

// setresgid/setresuid(0) in the user namespace just created or joined. Joining keeps the host's ids,
// which the joined namespace may not map: the mounts and directories made next (a tmpfs /dev and
// its /dev/pts) would then belong to no id of it and mkdir fails with EOVERFLOW.
Result becomeUserNamespaceRoot();

// Flags for unshare() of every namespace the plan creates, except user (done first, on its own)
// and cgroup (done by the init once it sits in its cgroup).
int unshareFlags(const Plan& plan);

// Written by the launcher (a process outside the new user namespace), as the kernel requires.
Result writeIdMaps(pid_t pid, const Plan& plan, const ProcfsHandle& proc);
Result writeIdMaps(pid_t pid, const std::vector<IdMap>& uidMappings, const std::vector<IdMap>& gidMappings, const ProcfsHandle& proc);

// /proc/self/timens_offsets of a fresh time namespace, before its first process exists.
Result writeTimeOffsets(const Plan& plan, const ProcfsHandle& proc);

// exec: the container's init, held by a pidfd opened before its /proc/<pid>/ns files and checked
// to be the process recorded at create (its start time), and alive again once they are open: the
// namespaces joined can then only be the container's, whatever happens to pid numbers meanwhile.
Result openTargetInit(const Plan& plan, sys::Fd& pidfd);
Result confirmTargetInit(const Plan& plan, int pidfd);

// setns(pidfd, every namespace type of the plan): all joined at once (Linux 5.8+). `joined` is
// false when the kernel cannot (EINVAL), and the per-path joins are used instead.
Result joinByPidfd(const Plan& plan, int pidfd, bool& joined);
