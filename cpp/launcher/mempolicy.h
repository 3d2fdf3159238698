// linux.memoryPolicy: the NUMA memory policy of the container's process, set with
// set_mempolicy(2). The plan (memoryPolicy, built by src/plan/memory-policy.ts) carries the
// kernel's numbers; the kernel keeps the policy across fork and execve.
#pragma once
#include <vector>

#include "../common/json.h"
#include "failure.h"

struct MemoryPolicyPlan {
  bool enabled = false;
  int mode = 0;            // MPOL_* with the MPOL_F_* flags or'ed in
  std::vector<int> nodes;  // sorted; empty: no node mask
};

// `v` is the plan's memoryPolicy (absent: leave the inherited policy alone).
void parseMemoryPolicy(const json::Value& v, MemoryPolicyPlan& out);

// In the init (and an exec'd process) once it is in the container's cgroups, whose cpuset the
// kernel checks the nodes against, and before "ready", so a refusal fails create.
Result applyMemoryPolicy(const MemoryPolicyPlan& plan);
