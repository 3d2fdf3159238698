// linux.seccomp: the filter is compiled with libseccomp in the launcher, before any namespace
// exists (a bad profile fails create with nothing made), and loaded by the init as its last step.
// Every decision (action values with their errno, which rules to skip, how argument conditions
// group, the filter flags) is made by src/plan/seccomp.ts; this file resolves syscall names and
// architectures, which only libseccomp knows, and talks to the kernel.
#pragma once
#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../common/generated/contract.h"
#include "failure.h"

// A notifying filter: one whose notify fd goes to a listener.
inline bool notifies(const std::optional<SeccompPlan>& plan) { return plan && plan->listener; }

// The compiled filter, ready for seccomp(2).
struct SeccompProgram {
  std::vector<sock_filter> code;
  unsigned flags = 0;
  bool empty() const { return code.empty(); }
};

// Nothing to do without a filter (out stays empty).
Result compileSeccomp(const std::optional<SeccompPlan>& plan, SeccompProgram& out);
// Installs the filter on the calling thread. notifyFd receives the listener fd when the filter
// notifies, -1 otherwise. Needs no_new_privs or CAP_SYS_ADMIN.
Result loadSeccomp(const SeccompProgram& program, int& notifyFd);
// Hands the notify fd and the container's state to the listener, in runc's format.
Result sendToListener(const SeccompListenerPlan& listener, int notifyFd, pid_t initPid);

// What this build's libseccomp knows, for `tsrunc features`: a JSON object.
json::Value seccompFeatures();
