#include "masks.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "rootfs.h"

namespace {

bool isNullDevice(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3); }

// An empty read-only tmpfs, made with the new mount API so it is attached by fd.
Result maskDirectory(int target, const std::string& path, const std::string& mountLabel) {
  sys::Fd ctx(::fsopen("tmpfs", FSOPEN_CLOEXEC));
  if (!ctx.valid()) return fail("fsopen", "tmpfs");
  if (!mountLabel.empty() && ::fsconfig(ctx.get(), FSCONFIG_SET_STRING, "context", mountLabel.c_str(), 0) != 0)
    return fail("fsconfig context", path);
  // As mount(2) with MS_RDONLY makes it: source "tmpfs", the superblock itself read-only.
  if (::fsconfig(ctx.get(), FSCONFIG_SET_STRING, "source", "tmpfs", 0) != 0 || ::fsconfig(ctx.get(), FSCONFIG_SET_FLAG, "ro", nullptr, 0) != 0)
    return fail("fsconfig", path);
  if (::fsconfig(ctx.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) return fail("mount tmpfs", path);
  sys::Fd mnt(::fsmount(ctx.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY));
  if (!mnt.valid()) return fail("fsmount", path);
  if (sys::moveMount(mnt.get(), "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) return fail("move_mount", path);
  return ok();
}

// The container's /dev/null as set up a moment ago (so the masks look as runc's do in mountinfo),
// reached without following any symlink; when it is not the null device (a /dev bound from
// elsewhere), the runtime's own. Either is checked by fstat before anything is bound from it.
Result openNullDevice(int rootfd, sys::Fd& out) {
  struct stat st;
  if (!openInRoot(rootfd, "/dev/null", Create::Nothing, out, Symlinks::Refuse) && ::fstat(out.get(), &st) == 0 && isNullDevice(st)) return ok();
  out.reset(::open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!out.valid()) return fail("open", "/dev/null");
  if (::fstat(out.get(), &st) != 0) return fail("stat", "/dev/null");
  if (!isNullDevice(st)) return failWith("neither the container's nor the runtime's /dev/null is the null device (1:3)", EPERM);
  return ok();
}

}  // namespace

Result prepareMasks(const Plan& plan, int rootfd, MaskSources& out) {
  if (plan.maskedPaths.empty()) return ok();
  const std::string step = "masked paths";
  sys::Fd null;
  TRY(inStep(openNullDevice(rootfd, null), step));
  // A detached mount can only be attached once, and one of a mount namespace left behind by
  // pivot_root cannot be cloned again: one copy per path, made while this one is still here.
  for (size_t i = 0; i < plan.maskedPaths.size(); i++) {
    sys::Fd tree(sys::openTree(null.get(), "", OPEN_TREE_CLONE | AT_EMPTY_PATH | O_CLOEXEC));
    if (!tree.valid()) return inStep(fail("open_tree", "/dev/null"), step);
    out.nullMounts.push_back(std::move(tree));
  }
  return ok();
}

Result maskPaths(const Plan& plan, MaskSources& sources) {
  if (plan.maskedPaths.empty()) return ok();
  sys::Fd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return inStep(fail("open", "/"), "masked paths");
  for (size_t i = 0; i < plan.maskedPaths.size(); i++) {
    const std::string& p = plan.maskedPaths[i];
    const std::string step = "masked path " + p;
    // As runc, a symlink is followed, but only inside the container's root (RESOLVE_IN_ROOT): what
    // the path names for the container is what gets masked, and nothing outside can be reached.
    sys::Fd target(sys::openat2(root.get(), p.c_str(), O_PATH | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS));
    if (!target.valid() && (errno == ENOENT || errno == ENOTDIR)) continue;
    if (!target.valid()) return inStep(fail("open", p), step);
    struct stat st;
    if (::fstat(target.get(), &st) != 0) return inStep(fail("stat", p), step);
    if (S_ISDIR(st.st_mode)) {
      TRY(inStep(maskDirectory(target.get(), p, plan.mountLabel), step));
      continue;
    }
    if (i >= sources.nullMounts.size() || !sources.nullMounts[i].valid()) return inStep(failWith("no copy of /dev/null was prepared for " + p, EINVAL), step);
    sys::Fd null = std::move(sources.nullMounts[i]);
    if (sys::moveMount(null.get(), "", target.get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
      return inStep(fail("move_mount", p), step);
  }
  sources.nullMounts.clear();
  return ok();
}
