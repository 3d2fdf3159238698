// A config that joins a user namespace by path and also gives linux.uidMappings/gidMappings: the
// mappings can only describe the namespace joined (nothing writes them), so they must be its own.
// runc 1.2+ refuses a mismatch the same way; containerd and CRI-O send both, matching.
#pragma once
#include "plan.h"
#include "procfs.h"

// Stage 1, just after setns into the joined user namespace: this process's uid_map and gid_map
// (shown relative to the parent namespace) against the plan's mappings, where the plan has any.
Result checkJoinedUserMappings(const Plan& plan, const ProcfsHandle& proc);
