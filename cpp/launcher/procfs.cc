#include "procfs.h"

#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "log.h"

namespace {

constexpr uint64_t kNoDetours = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
constexpr ino_t kProcRootIno = 1;  // only the root of a procfs superblock has this inode number

// A fresh instance of the caller's pid namespace, mounted nowhere; -1 if the kernel refuses.
int newInstance(bool pidsOnly) {
  sys::Fd ctx(::fsopen("proc", FSOPEN_CLOEXEC));
  if (!ctx.valid()) return -1;
  if (pidsOnly && ::fsconfig(ctx.get(), FSCONFIG_SET_STRING, "subset", "pid", 0) != 0) return -1;
  if (::fsconfig(ctx.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) return -1;
  return ::fsmount(ctx.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
}

bool isProcRoot(int fd) {
  struct statfs sfs;
  struct stat st;
  return ::fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC && ::fstat(fd, &st) == 0 && st.st_ino == kProcRootIno;
}

// A detached copy of the mount at /proc. Without AT_RECURSIVE nothing mounted below it comes
// along; in a user namespace the kernel refuses that when the submounts are locked, and then the
// recursive copy serves (RESOLVE_NO_XDEV keeps every open out of its submounts).
Result cloneCurrentProc(sys::Fd& out) {
  out.reset(sys::openTree(AT_FDCWD, "/proc", OPEN_TREE_CLONE | O_CLOEXEC));
  if (!out.valid() && errno == EINVAL) out.reset(sys::openTree(AT_FDCWD, "/proc", OPEN_TREE_CLONE | AT_RECURSIVE | O_CLOEXEC));
  if (!out.valid()) return fail("open_tree", "/proc");
  if (!isProcRoot(out.get())) return failWith("/proc is not the root of a procfs: refusing to write procfs files through it", EXDEV);
  return ok();
}

Result openInstance(bool pidsOnly, sys::Fd& out) {
  out.reset(newInstance(pidsOnly));
  if (out.valid()) {
    debugLog(std::string("own procfs: new instance") + (pidsOnly ? ", subset=pid" : ""));
    return ok();
  }
  if (pidsOnly) {
    // Kernels before 5.8 know no subset; a whole instance is still the caller's pid namespace.
    out.reset(newInstance(false));
    if (out.valid()) return ok();
  }
  Result cloned = cloneCurrentProc(out);
  if (!cloned) {
    debugLog("own procfs: the kernel refused a new instance; using a clone of /proc's mount");
    return ok();
  }
  // An unprivileged caller (a rootless launcher, still in the host's namespaces) may neither make
  // nor clone a procfs: the /proc it already has is the host's, which no container mounts over;
  // it is taken only if it is the root of a procfs.
  if (cloned->err != EPERM) return cloned;
  out.reset(::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!out.valid()) return fail("open", "/proc");
  if (!isProcRoot(out.get())) return failWith("/proc is not the root of a procfs: refusing to write procfs files through it", EXDEV);
  debugLog("own procfs: not permitted to make one; using /proc, checked to be a procfs root");
  return ok();
}

bool startsWith(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

}  // namespace

Result ProcfsHandle::open(bool withSys, ProcfsHandle& out) {
  out.reset();
  TRY(openInstance(true, out.pids_));
  if (withSys) TRY(openInstance(false, out.full_));
  return ok();
}

// "self" and "thread-self" are symlinks, which the opens below never follow: read here, from this
// instance, which nobody else can reach to change.
Result ProcfsHandle::resolveSelf(const std::string& name, std::string& out) const {
  for (const char* link : {"thread-self", "self"}) {
    std::string l = link;
    if (name != l && !startsWith(name, l + "/")) continue;
    char target[64];
    ssize_t n = ::readlinkat(pids_.get(), link, target, sizeof target - 1);
    if (n <= 0) return fail("readlink", "/proc/" + l);
    out = std::string(target, static_cast<size_t>(n)) + name.substr(l.size());
    return ok();
  }
  out = name;
  return ok();
}

Result ProcfsHandle::openFile(const std::string& name, int flags, sys::Fd& out) const {
  const std::string shown = "/proc/" + name;
  const bool inSys = startsWith(name, "sys/");
  const sys::Fd& dir = inSys ? full_ : pids_;
  if (!dir.valid()) return failWith("no procfs of the runtime's own is open for " + shown, EBADF);
  std::string resolved;
  TRY(resolveSelf(name, resolved));
  out.reset(sys::openat2(dir.get(), resolved.c_str(), static_cast<uint64_t>(flags | O_NOFOLLOW | O_CLOEXEC), kNoDetours));
  if (!out.valid()) return fail("open", shown);
  struct statfs st;
  if (::fstatfs(out.get(), &st) != 0) return fail("fstatfs", shown);
  if (st.f_type != PROC_SUPER_MAGIC) return failWith(shown + " is not on a procfs: refusing to write it", EXDEV);
  return ok();
}

Result ProcfsHandle::write(const std::string& name, const std::string& value) const {
  sys::Fd f;
  TRY(openFile(name, O_WRONLY, f));
  ssize_t n = ::write(f.get(), value.data(), value.size());
  if (n < 0) return fail("write", "/proc/" + name);
  if (static_cast<size_t>(n) != value.size()) return fail("write", "/proc/" + name, EIO);
  return ok();
}

Result ProcfsHandle::fdTarget(int fd, std::string& out) const {
  std::string link;
  TRY(resolveSelf("self/fd/" + std::to_string(fd), link));
  char buf[4096];
  ssize_t n = ::readlinkat(pids_.get(), link.c_str(), buf, sizeof buf);
  if (n < 0) return fail("readlink", "/proc/self/fd/" + std::to_string(fd));
  if (static_cast<size_t>(n) == sizeof buf) return fail("readlink", "/proc/self/fd/" + std::to_string(fd), ENAMETOOLONG);
  out.assign(buf, static_cast<size_t>(n));
  return ok();
}
