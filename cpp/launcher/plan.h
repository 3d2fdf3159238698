// The launch plan as the launcher holds it. Its shape, parser and serialiser are generated from
// src/contract/launcher.contract.json (cpp/common/generated/contract.h, the same file the
// TypeScript types come from): a new field is added there, once. The plan is read-only after
// parsing; what the launcher makes from it while it runs is `Prepared`.
#pragma once
#include <string>

#include "../common/generated/contract.h"
#include "failure.h"
#include "procfs.h"
#include "seccomp.h"
#include "sys.h"

// Made by the launcher, as host root, before anything of the container exists.
struct Prepared {
  sys::Fd execFifo;    // create: exec.fifo, for the init (in a user namespace it may not reach the state dir)
  sys::Fd cgroup;      // the cgroup2 directory for clone3(CLONE_INTO_CGROUP)
  sys::Fd targetInit;  // exec: the init's pidfd
  SeccompProgram seccomp;  // compiled: a profile libseccomp refuses fails before anything is made
  ProcfsHandle hostProc;   // the runtime's own procfs of the host's pid namespace: id maps, time offsets
  std::vector<sys::Fd> idmappedTrees;  // the init: id-mapped trees from the launcher, by mount index
};

// Parses the plan's first line strictly (src/contract), then checks what the shapes cannot say.
Result parsePlan(const json::Value& v, Plan& plan);

inline bool isExec(const Plan& plan) { return plan.kind == PlanKind::Exec; }
inline int targetInitPid(const Plan& plan) { return plan.targetInit ? plan.targetInit->pid : 0; }
inline bool isBind(const MountPlan& m) { return (m.flags & 0x1000) != 0; }  // MS_BIND
const NamespacePlan* findNamespace(const Plan& plan, const std::string& type);
// A namespace the container creates (not joined by path).
inline bool newNamespace(const Plan& plan, const std::string& type) {
  const NamespacePlan* n = findNamespace(plan, type);
  return n && n->path.empty();
}
// Without a mount namespace (neither new nor joined) the container lives in the runtime's mount
// table: no propagation change, no pivot_root, a chroot into the rootfs instead.
inline bool ownMountTable(const Plan& plan) { return findNamespace(plan, "mount") != nullptr; }
