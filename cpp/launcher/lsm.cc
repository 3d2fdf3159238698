#include "lsm.h"

#include <linux/magic.h>
#include <sys/vfs.h>
#include <sys/xattr.h>

namespace {

// Opens <procfs>/thread-self/<attr> for writing. Through the private procfs when the init has
// one; otherwise through the container's /proc, which must then really be a procfs: a label
// "written" to some other file would leave the process silently unconfined.
Result openOwnAttr(int procfd, const std::string& attr, sys::Fd& out) {
  std::string relative = "thread-self/" + attr;
  std::string shown = "/proc/" + relative;
  out.reset(::openat(procfd >= 0 ? procfd : AT_FDCWD, procfd >= 0 ? relative.c_str() : shown.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!out.valid()) return fail("open", shown);
  struct statfs st;
  if (::fstatfs(out.get(), &st) != 0) return fail("fstatfs", shown);
  if (st.f_type != PROC_SUPER_MAGIC) return failWith(shown + " is not on a procfs", EXDEV);
  return ok();
}

Result writeOwnAttr(int procfd, const std::string& attr, const std::string& value) {
  sys::Fd f;
  TRY(openOwnAttr(procfd, attr, f));
  std::string shown = "/proc/thread-self/" + attr;
  ssize_t n = ::write(f.get(), value.data(), value.size());
  if (n < 0) return fail("write", shown);
  if (static_cast<size_t>(n) != value.size()) return fail("write", shown, EIO);
  return ok();
}

// The kernel checks the new profile at write time (EINVAL/ENOENT for one it does not know) and
// switches to it at execve, as aa_change_onexec does. Newer kernels give each LSM its own attr
// directory; older ones only have the shared attr/exec, which AppArmor owns there.
Result applyApparmorProfile(int procfd, const std::string& profile) {
  std::string value = "exec " + profile;
  Result r = writeOwnAttr(procfd, "attr/apparmor/exec", value);
  if (r && r->op == "open" && r->err == ENOENT) r = writeOwnAttr(procfd, "attr/exec", value);
  return r;
}

}  // namespace

Result applyExecLabels(const ProcessPlan& p, sys::Fd proc) {
  // Why here and through `proc`: this runs after pivot_root, where the host's /proc is out of
  // reach. The private procfs (mounted nowhere, made by the init in its own pid namespace) still
  // shows this thread as thread-self, and nothing in the container can have replaced it; the
  // container's /proc serves only when the kernel refused a private one, as for exec.fifo.
  if (!p.apparmorProfile.empty()) TRY(inStep(applyApparmorProfile(proc.get(), p.apparmorProfile), "apply apparmor profile"));
  if (!p.selinuxLabel.empty()) TRY(inStep(writeOwnAttr(proc.get(), "attr/exec", p.selinuxLabel), "apply selinux label"));
  return ok();
}

std::string contextMountData(const std::string& mountLabel) {
  return mountLabel.empty() ? std::string() : "context=\"" + mountLabel + "\"";
}

Result labelMountRoot(const std::string& mountedPath, const std::string& destination, const std::string& mountLabel) {
  if (mountLabel.empty()) return ok();
  if (::setxattr(mountedPath.c_str(), "security.selinux", mountLabel.data(), mountLabel.size(), 0) != 0)
    return fail("setxattr security.selinux", destination);
  return ok();
}
