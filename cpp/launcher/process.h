// The container process: its credentials, environment and executable, and the final exec.
#pragma once
#include <string>
#include <vector>

#include "plan.h"

Result switchUser(const ProcessPlan& process);

// The environment the process gets: the plan's, plus HOME from the container's /etc/passwd when
// the plan sets none (as runc does).
std::vector<std::string> processEnvironment(const ProcessPlan& process);

// Finds args[0] the way Go's exec.LookPath does inside the container, so the errors match runc's.
Result resolveExecutable(const ProcessPlan& process, const std::vector<std::string>& env, std::string& path);
