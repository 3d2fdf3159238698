// The runtime's own procfs. Every write the launcher makes to procfs on a container's behalf (id
// maps, time offsets, sysctls, oom_score_adj, LSM exec labels) goes through a procfs instance made
// for the purpose and mounted nowhere, so no mount of the container's (from its config, its image,
// or made by its processes while the runtime works) can redirect it. A path under /proc is only
// ever a name inside that instance: opened with openat2 without symlinks, magic links or mount
// crossings, and checked to be a procfs file before it is written (the CVE-2019-16884 and
// CVE-2025-52881 classes).
#pragma once
#include <string>

#include "failure.h"
#include "sys.h"

class ProcfsHandle {
 public:
  // An instance for the caller's pid namespace, preferring one with only the process directories
  // (fsopen "proc", subset=pid); `withSys` also gets a full one, for /proc/sys. Where the kernel
  // refuses a new instance (a user namespace whose mount table hides part of /proc), a clone of
  // the current /proc's own mount (open_tree, without what is mounted below it) serves, after a
  // check that it is the root of a procfs. Called before the container's mounts exist.
  static Result open(bool withSys, ProcfsHandle& out);

  bool valid() const { return pids_.valid(); }
  // For the rare magic link that must be followed (exec.fifo reopened through <pid>/fd/N).
  int pidsFd() const { return pids_.get(); }
  void reset() { pids_.reset(); full_.reset(); }
  // Once the sysctls are written: nothing later needs /proc/sys.
  void closeSys() { full_.reset(); }

  // Opens `name` ("self/oom_score_adj", "thread-self/attr/exec", "sys/kernel/shmmax", "123/uid_map")
  // inside the instance, with "self" and "thread-self" resolved by this instance's own links.
  // Fails rather than follow a symlink or cross a mount, and on anything not on a procfs.
  Result openFile(const std::string& name, int flags, sys::Fd& out) const;
  // openFile for writing, then one write of `value` that must be taken whole.
  Result write(const std::string& name, const std::string& value) const;
  // Where fd points, read through this instance (a path in the caller's mount namespace).
  Result fdTarget(int fd, std::string& out) const;

 private:
  Result resolveSelf(const std::string& name, std::string& out) const;
  sys::Fd pids_;  // subset=pid where the kernel has it
  sys::Fd full_;  // with /proc/sys; only when asked for
};
