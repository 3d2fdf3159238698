#include "procmount.h"

#include <linux/magic.h>
#include <sys/vfs.h>

#include <algorithm>

namespace {

// Files a mount may cover: what lxcfs serves, and runc's two additions (runc 1.2+).
const char* const kCoverable[] = {
    "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps", "/proc/uptime",
    "/proc/loadavg", "/proc/slabinfo", "/proc/sys/kernel/ns_last_pid", "/proc/sys/crypto/fips_enabled",
};

bool onProcfs(int fd) {
  struct statfs st;
  return ::fstatfs(fd, &st) == 0 && st.f_type == PROC_SUPER_MAGIC;
}

bool sourceIsProcfs(const std::string& source) {
  struct statfs st;
  return ::statfs(source.c_str(), &st) == 0 && st.f_type == PROC_SUPER_MAGIC;
}

}  // namespace

Result checkProcMount(const MountPlan& m, int rootfd, int target, const ProcfsHandle& proc) {
  std::string root, dest;
  TRY(proc.fdTarget(rootfd, root));
  TRY(proc.fdTarget(target, dest));
  // The destination as the container will see it. One outside the rootfs cannot happen (openInRoot
  // never leaves it); if it did, it is judged by the filesystem alone.
  std::string inside = dest.compare(0, root.size(), root) == 0 && (dest.size() == root.size() || dest[root.size()] == '/')
      ? (dest.size() == root.size() ? "/" : dest.substr(root.size())) : dest;
  if (inside == "/proc") {
    if (isBind(m) ? sourceIsProcfs(m.source) : m.type == "proc") return ok();
    return failWith("refused: /proc can only be a procfs (type \"proc\", or a bind mount of one), not " +
                    (isBind(m) ? "a bind mount of " + m.source : "\"" + m.type + "\""), EPERM);
  }
  const bool underProc = inside.compare(0, 6, "/proc/") == 0;
  if (!underProc && !onProcfs(target)) return ok();
  if (underProc && std::find_if(std::begin(kCoverable), std::end(kCoverable), [&](const char* f) { return inside == f; }) != std::end(kCoverable)) return ok();
  std::string where = inside == m.destination ? inside : inside + " (where " + m.destination + " leads)";
  return failWith("refused: the destination " + where +
                  " is inside the container's procfs; only /proc itself and the files lxcfs provides (/proc/cpuinfo, /proc/meminfo, ...) may be mounted on", EPERM);
}
