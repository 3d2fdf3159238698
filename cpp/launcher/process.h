// The container process: its credentials, environment and executable, and the final exec.
#pragma once
#include <string>
#include <vector>

#include "plan.h"

// The privilege switch, in runc's order: rlimits and oom_score_adj while still privileged, the
// bounding set dropped, uid/gid/groups changed keeping the permitted set, then the configured sets
// installed with capset and the ambient ones raised.
Result applyRlimits(const ProcessPlan& process);
Result writeOomScoreAdj(const ProcessPlan& process, int procfd);
Result switchUser(const ProcessPlan& process);
Result setNoNewPrivileges(const ProcessPlan& process);

// The environment the process gets: the plan's, plus HOME from the container's /etc/passwd when
// the plan sets none (as runc does).
std::vector<std::string> processEnvironment(const ProcessPlan& process);

// Finds args[0] the way Go's exec.LookPath does inside the container, so the errors match runc's.
Result resolveExecutable(const ProcessPlan& process, const std::vector<std::string>& env, std::string& path);
