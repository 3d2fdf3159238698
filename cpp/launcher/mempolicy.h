// linux.memoryPolicy: the NUMA memory policy of the container's process, set with
// set_mempolicy(2). The plan (memoryPolicy, built by src/plan/memory-policy.ts) carries the
// kernel's numbers; the kernel keeps the policy across fork and execve.
#pragma once
#include <vector>

#include "../common/generated/contract.h"
#include "failure.h"

// In the init (and an exec'd process) once it is in the container's cgroups, whose cpuset the
// kernel checks the nodes against, and before "ready", so a refusal fails create.
Result applyMemoryPolicy(const std::optional<MemoryPolicyPlan>& plan);
