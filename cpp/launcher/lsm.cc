#include "lsm.h"

#include <sys/xattr.h>

namespace {

// The kernel checks the new profile at write time (EINVAL/ENOENT for one it does not know) and
// switches to it at execve, as aa_change_onexec does. Newer kernels give each LSM its own attr
// directory; older ones only have the shared attr/exec, which AppArmor owns there.
Result applyApparmorProfile(const ProcfsHandle& proc, const std::string& profile) {
  std::string value = "exec " + profile;
  Result r = proc.write("thread-self/attr/apparmor/exec", value);
  if (r && r->op == "open" && r->err == ENOENT) r = proc.write("thread-self/attr/exec", value);
  return r;
}

}  // namespace

Result applyExecLabels(const ProcessPlan& p, const ProcfsHandle& proc) {
  // Through the runtime's own procfs (made before the container's mounts, mounted nowhere): a label
  // "written" to a file the container put in its place would leave the process unconfined, or
  // write the label's text somewhere that matters (CVE-2025-52881).
  if (!p.apparmorProfile.empty()) TRY(inStep(applyApparmorProfile(proc, p.apparmorProfile), "apply apparmor profile"));
  if (!p.selinuxLabel.empty()) TRY(inStep(proc.write("thread-self/attr/exec", p.selinuxLabel), "apply selinux label"));
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
