// createContainer and startContainer hooks: run by the container's init, so they execute in the
// container's namespaces (createContainer after the mounts, before pivot_root; startContainer
// after `start`, just before the user process), as runtime-spec 1.3 says. The other hooks run in
// the runtime's namespaces and are tsrunc's (src/hooks/run.ts).
#pragma once
#include <string>
#include <vector>

#include "../common/generated/contract.h"
#include "failure.h"

// Each hook in order: the state on stdin, stdout to /dev/null, stderr shared with the container's,
// exactly its env; killed at its timeout. The first failure stops them.
Result runContainerHooks(const std::vector<HookPlan>& hooks, const char* phase, const json::Value& state);
