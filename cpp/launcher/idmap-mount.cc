#include "idmap-mount.h"

#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "log.h"
#include "namespaces.h"

#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif

namespace {

bool sameMaps(const std::vector<IdMap>& a, const std::vector<IdMap>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (a[i].containerID != b[i].containerID || a[i].hostID != b[i].hostID || a[i].size != b[i].size) return false;
  }
  return true;
}

// A user namespace holding exactly a mount's mappings: a child cloned into a new one waits while the
// launcher writes its maps and opens its namespace, then is killed; the fd keeps the namespace.
Result mappedUserNamespace(const MountIdmapPlan& idmap, const ProcfsHandle& proc, sys::Fd& out) {
  // A raw clone, as fork: the child is born in the new namespace, so the maps can be written at once.
  pid_t pid = static_cast<pid_t>(::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
  if (pid < 0) return fail("clone", "user namespace for the mount's mappings");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    for (;;) ::pause();
  }
  Result r = writeIdMaps(pid, idmap.uidMappings, idmap.gidMappings, proc);
  if (!r) {
    std::string path = "/proc/" + std::to_string(pid) + "/ns/user";
    out.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!out.valid()) r = fail("open", path);
  }
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {}
  return r;
}

// The user namespaces made for mappings given by mounts, one per distinct mapping.
class MappingNamespaces {
 public:
  explicit MappingNamespaces(const ProcfsHandle& proc) : proc_(proc) {}

  Result get(const MountIdmapPlan& idmap, int& fd) {
    for (const Entry& e : made_) {
      if (sameMaps(e.idmap->uidMappings, idmap.uidMappings) && sameMaps(e.idmap->gidMappings, idmap.gidMappings)) {
        fd = e.fd.get();
        return ok();
      }
    }
    sys::Fd made;
    TRY(mappedUserNamespace(idmap, proc_, made));
    fd = made.get();
    made_.push_back(Entry{&idmap, std::move(made)});
    return ok();
  }

 private:
  struct Entry {
    const MountIdmapPlan* idmap;
    sys::Fd fd;
  };
  const ProcfsHandle& proc_;
  std::vector<Entry> made_;
};

// The source cloned (with its submounts for rbind) and mapped: ridmap maps every mount of the
// tree, idmap only its top, as the spec and runc have it.
Result mappedTree(const MountPlan& m, int userns, sys::Fd& out) {
  unsigned openFlags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((m.flags & MS_REC) ? AT_RECURSIVE : 0);
  sys::Fd tree(sys::openTree(AT_FDCWD, m.source.c_str(), openFlags));
  if (!tree.valid()) return fail("open_tree", m.source);
  sys::MountAttr attr{MOUNT_ATTR_IDMAP, 0, 0, static_cast<uint64_t>(userns)};
  unsigned flags = AT_EMPTY_PATH | (m.idmap->recursive ? AT_RECURSIVE : 0);
  if (::syscall(SYS_mount_setattr, tree.get(), "", flags, &attr, sizeof attr) != 0) {
    int err = errno;
    std::string text = "mount_setattr MOUNT_ATTR_IDMAP " + m.source + ": " + errnoText(err);
    if (err == EINVAL) text += " (its filesystem cannot be id-mapped by this kernel)";
    if (err == ENOSYS) text += " (this kernel has no id-mapped mounts: Linux 5.12 or later is needed)";
    return failWith(text, err);
  }
  out = std::move(tree);
  return ok();
}

}  // namespace

Result sendIdmappedMounts(const Plan& plan, pid_t init, const Channel& toInit, const ProcfsHandle& proc) {
  sys::Fd containerUserns;
  MappingNamespaces namespaces(proc);
  for (size_t i = 0; i < plan.mounts.size(); i++) {
    const MountPlan& m = plan.mounts[i];
    if (!m.idmap) continue;
    const std::string step = "id-mapped mount " + m.destination;
    int userns = -1;
    if (m.idmap->uidMappings.empty() && m.idmap->gidMappings.empty()) {
      if (!findNamespace(plan, "user"))
        return inStep(failWith("an id-mapped mount without uidMappings and gidMappings needs the container's user namespace, and it has none", EINVAL), step);
      if (!containerUserns.valid()) {
        std::string path = "/proc/" + std::to_string(init) + "/ns/user";
        containerUserns.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!containerUserns.valid()) return inStep(fail("open", path), step);
      }
      userns = containerUserns.get();
    } else {
      TRY(inStep(namespaces.get(*m.idmap, userns), step));
    }
    sys::Fd tree;
    TRY(inStep(mappedTree(m, userns, tree), step));
    debugLog("id-mapped " + m.source + " for " + m.destination);
    if (!toInit.sendWithFd(msg::IdmappedMount{static_cast<int>(i)}, tree.get())) return inStep(fail("sendmsg"), step);
  }
  return ok();
}

Result receiveIdmappedMounts(const Plan& plan, Channel& fromLauncher, std::vector<sys::Fd>& trees) {
  trees.clear();
  trees.resize(plan.mounts.size());
  for (size_t i = 0; i < plan.mounts.size(); i++) {
    if (!plan.mounts[i].idmap) continue;
    msg::IdmappedMount m;
    TRY(fromLauncher.expect(&m));
    sys::Fd tree(fromLauncher.takeReceivedFd());
    if (!tree.valid() || m.index != static_cast<int>(i))
      return failWith("launcher protocol: the id-mapped tree for mount " + plan.mounts[i].destination + " did not arrive", EPROTO);
    trees[i] = std::move(tree);
  }
  return ok();
}

Result attachIdmappedMount(int tree, int target, const MountPlan& m) {
  if (sys::moveMount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) return fail("move_mount", m.destination);
  return ok();
}

bool kernelHasIdmappedMounts() {
  // Invalid on purpose (no such fd): only ENOSYS says the call is missing.
  sys::MountAttr attr{MOUNT_ATTR_IDMAP, 0, 0, 0};
  return ::syscall(SYS_mount_setattr, -1, "", AT_EMPTY_PATH, &attr, sizeof attr) == 0 || errno != ENOSYS;
}
