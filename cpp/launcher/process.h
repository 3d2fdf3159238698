// The container process: its credentials, environment and executable, and the final exec.
#pragma once
#include <string>
#include <vector>

#include "plan.h"

// The privilege switch, in runc's order: rlimits and oom_score_adj while still privileged, the
// bounding set dropped, uid/gid/groups changed keeping the permitted set, then the configured sets
// installed with capset and the ambient ones raised.
Result applyRlimits(const ProcessPlan& process);
// Written by the launcher into the new process's file before it goes on (kept across execve): from
// outside any user namespace, where a process that is not dumpable may not write its own.
Result writeOomScoreAdj(const ProcessPlan& process, pid_t pid, const ProcfsHandle& proc);
// keepSysAdmin (with capabilities in the plan): CAP_SYS_ADMIN stays effective for loading a seccomp filter without no_new_privs.
// execve drops it again: a non-root process keeps only its ambient set, and root gets what the
// bounding and inheritable sets allow, so it never reaches the container process.
Result switchUser(const ProcessPlan& process, bool keepSysAdmin);
Result setNoNewPrivileges(const ProcessPlan& process);

// The working directory, in two steps. Before pivot_root: create it inside the rootfs if missing.
// After: resolve it inside the container's root without following /proc magic links, enter it by
// fd and check the kernel agrees it is below the root. A cwd through /proc/self/fd/N would
// otherwise land wherever an fd held at that moment points (CVE-2024-21626).
Result prepareWorkingDirectory(int rootfd, const std::string& cwd);
Result enterWorkingDirectory(const std::string& cwd);

// The environment the process gets: the plan's, plus HOME from the container's /etc/passwd when
// the plan sets none (as runc does).
std::vector<std::string> processEnvironment(const ProcessPlan& process);

// Finds args[0] the way Go's exec.LookPath does inside the container, so the errors match runc's.
Result resolveExecutable(const ProcessPlan& process, const std::vector<std::string>& env, std::string& path);
