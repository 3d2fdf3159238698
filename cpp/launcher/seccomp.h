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

#include "../common/json.h"
#include "failure.h"

struct SeccompCondition {
  unsigned index = 0;
  int op = 0;  // enum scmp_compare
  uint64_t value = 0, valueTwo = 0;
};

struct SeccompRule {
  std::vector<std::string> names;
  uint32_t action = 0;  // SECCOMP_RET_* with its data
  std::vector<SeccompCondition> args;  // all must match (one libseccomp rule)
};

struct SeccompPlan {
  bool enabled = false;
  uint32_t defaultAction = 0;
  std::vector<std::string> architectures;  // libseccomp names: "x86_64", "x86", ...
  unsigned flags = 0;                      // SECCOMP_FILTER_FLAG_*
  std::vector<SeccompRule> rules;
  // Set when a rule notifies: where the notify fd goes, and the state document sent with it.
  std::string listenerPath;
  json::Value listenerState;
  // Compiled programs are kept under the state root, keyed by the filter's canonical JSON (which
  // the cache file repeats, so a name collision can only miss, never load another filter).
  std::string cacheDir;
  std::string canonical;
  bool notifies() const { return !listenerPath.empty(); }
};

Result parseSeccomp(const json::Value& v, SeccompPlan& out);

// The compiled filter, ready for seccomp(2).
struct SeccompProgram {
  std::vector<sock_filter> code;
  unsigned flags = 0;
  bool empty() const { return code.empty(); }
};

Result compileSeccomp(const SeccompPlan& plan, SeccompProgram& out);
// Installs the filter on the calling thread. notifyFd receives the listener fd when the filter
// notifies, -1 otherwise. Needs no_new_privs or CAP_SYS_ADMIN.
Result loadSeccomp(const SeccompProgram& program, int& notifyFd);
// Hands the notify fd and the container's state to the listener, in runc's format.
Result sendToListener(const SeccompPlan& plan, int notifyFd, pid_t initPid);

// What this build's libseccomp knows, for `tsrunc features`: a JSON object.
std::string seccompFeatures();
