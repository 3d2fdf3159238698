#include "devices.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "rootfs.h"
#include "rootless.h"
#include "sys.h"

namespace {

mode_t nodeType(const DevicePlan& d) { return d.type == DeviceType::Block ? S_IFBLK : d.type == DeviceType::Fifo ? S_IFIFO : S_IFCHR; }

bool isRequested(const DevicePlan& d, const struct stat& st) {
  if ((st.st_mode & S_IFMT) != nodeType(d)) return false;
  return d.type == DeviceType::Fifo || st.st_rdev == makedev(d.major, d.minor);
}

std::string describe(const struct stat& st) {
  switch (st.st_mode & S_IFMT) {
    case S_IFREG: return "a regular file";
    case S_IFDIR: return "a directory";
    case S_IFLNK: return "a symlink";
    case S_IFIFO: return "a fifo";
    case S_IFSOCK: return "a socket";
    default: break;
  }
  return std::string(S_ISBLK(st.st_mode) ? "b " : "c ") + std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
}

std::string requested(const DevicePlan& d) {
  if (d.type == DeviceType::Fifo) return "p";
  return std::string(d.type == DeviceType::Block ? "b" : d.type == DeviceType::Unbuffered ? "u" : "c") + " " + std::to_string(d.major) + ":" + std::to_string(d.minor);
}

enum class Found { Nothing, Device, MountPoint };

// What is at the device's path now. In a user namespace an empty regular file of mode 0 is taken
// as the mount point an earlier container of the same rootfs left (what this code makes there).
Result inspect(int rootfd, const DevicePlan& d, bool bindDevices, Found& found) {
  found = Found::Nothing;
  size_t slash = d.path.rfind('/');
  sys::Fd parent;
  if (Result r = openInRoot(rootfd, d.path.substr(0, slash), Create::Nothing, parent, Symlinks::Refuse)) {
    if (r->err == ENOENT) return ok();  // made with its parents later
    return r;
  }
  struct stat st;
  if (::fstatat(parent.get(), d.path.c_str() + slash + 1, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return ok();
    return fail("stat", d.path);
  }
  if (isRequested(d, st)) { found = Found::Device; return ok(); }
  if (bindDevices && S_ISREG(st.st_mode) && st.st_size == 0 && (st.st_mode & 07777) == 0) { found = Found::MountPoint; return ok(); }
  return failWith("a file that is not the requested device is already there (found " + describe(st) + ", requested " + requested(d) + ")", EEXIST);
}

Result makeOne(int rootfd, const DevicePlan& d, bool bindDevices, Found found) {
  if (found == Found::Device && !bindDevices) return ok();
  size_t slash = d.path.rfind('/');
  const std::string name = d.path.substr(slash + 1);
  sys::Fd parent;
  TRY(openInRoot(rootfd, d.path.substr(0, slash), Create::Directory, parent, Symlinks::Refuse));
  if (bindDevices) {
    // Bound over whatever inspect() accepted, or over a new empty file of mode 0.
    if (found == Found::Nothing) {
      int f = ::openat(parent.get(), name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0000);
      if (f < 0) return fail("create", d.path);
      ::close(f);
    }
    sys::Fd node(::openat(parent.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!node.valid()) return fail("open", d.path);
    if (::mount(d.path.c_str(), sys::fdPath(node.get()).c_str(), "", MS_BIND, nullptr) != 0) return fail("bind mount", d.path);
    return ok();
  }
  if (::mknodat(parent.get(), name.c_str(), nodeType(d) | (d.fileMode & 07777), makedev(d.major, d.minor)) != 0) return fail("mknod", d.path);
  if (::fchownat(parent.get(), name.c_str(), d.uid, d.gid, AT_SYMLINK_NOFOLLOW) != 0) return fail("chown", d.path);
  return ok();
}

}  // namespace

Result makeDevices(const Plan& plan, int rootfd) {
  // In any user namespace mknod is refused: the container's own (made or joined), or the one the
  // runtime already runs in (rootless podman asks for none): the host's nodes are bound instead.
  const bool bindDevices = findNamespace(plan, "user") != nullptr || runningInUserNamespace();
  std::vector<Found> found(plan.devices.size());
  for (size_t i = 0; i < plan.devices.size(); i++)
    TRY(inStep(inspect(rootfd, plan.devices[i], bindDevices, found[i]), "create device " + plan.devices[i].path));
  // Device modes are exact: the caller's umask must not narrow them.
  mode_t old = ::umask(0);
  Result result;
  for (size_t i = 0; i < plan.devices.size() && !result; i++)
    result = inStep(makeOne(rootfd, plan.devices[i], bindDevices, found[i]), "create device " + plan.devices[i].path);
  ::umask(old);
  return result;
}
