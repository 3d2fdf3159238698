#include "namespaces.h"

#include <sched.h>
#include <sys/ioctl.h>

#include <cstring>

#include "sys.h"

namespace {
std::string mapText(const std::vector<IdMap>& maps) {
  std::string out;
  for (const IdMap& m : maps) out += std::to_string(m.containerID) + " " + std::to_string(m.hostID) + " " + std::to_string(m.size) + "\n";
  return out;
}
}  // namespace

Result openJoinedNamespaces(const Plan& plan, std::vector<JoinedNamespace>& out) {
  for (const NamespacePlan& ns : plan.namespaces) {
    if (ns.path.empty()) continue;
    sys::Fd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return inStep(fail("open", ns.path), "join " + ns.type + " namespace");
    int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
    if (type < 0) return inStep(fail("ioctl NS_GET_NSTYPE", ns.path), "join " + ns.type + " namespace");
    if (type != ns.cloneFlag) return failWith("namespace path " + ns.path + " is not a " + ns.type + " namespace", EINVAL);
    out.push_back({&ns, std::move(fd)});
  }
  return ok();
}

Result joinNamespace(const JoinedNamespace& ns) {
  if (::setns(ns.fd.get(), ns.plan->cloneFlag) != 0) return inStep(fail("setns", ns.plan->path), "join " + ns.plan->type + " namespace");
  return ok();
}

Result becomeUserNamespaceRoot() {
  if (::setresgid(0, 0, 0) != 0) return inStep(fail("setresgid", "0"), "become root in the user namespace");
  if (::setresuid(0, 0, 0) != 0) return inStep(fail("setresuid", "0"), "become root in the user namespace");
  return ok();
}

int unshareFlags(const Plan& plan) {
  int flags = 0;
  for (const NamespacePlan& ns : plan.namespaces) {
    if (!ns.path.empty() || ns.type == "user" || ns.type == "cgroup") continue;
    flags |= ns.cloneFlag;
  }
  return flags;
}

Result writeIdMaps(pid_t pid, const std::vector<IdMap>& uidMappings, const std::vector<IdMap>& gidMappings, const ProcfsHandle& proc) {
  std::string base = std::to_string(pid) + "/";
  if (!uidMappings.empty()) TRY(inStep(proc.write(base + "uid_map", mapText(uidMappings)), "write uid mappings"));
  if (!gidMappings.empty()) TRY(inStep(proc.write(base + "gid_map", mapText(gidMappings)), "write gid mappings"));
  return ok();
}

Result writeIdMaps(pid_t pid, const Plan& plan, const ProcfsHandle& proc) { return writeIdMaps(pid, plan.uidMappings, plan.gidMappings, proc); }

Result writeTimeOffsets(const Plan& plan, const ProcfsHandle& proc) {
  if (plan.timeOffsets.empty()) return ok();
  std::string text;
  for (const TimeOffsetPlan& t : plan.timeOffsets) text += t.clock + " " + std::to_string(t.secs) + " " + std::to_string(t.nanosecs) + "\n";
  return inStep(proc.write("self/timens_offsets", text), "set time offsets");
}

namespace {
// Field 22 of /proc/<pid>/stat (after the command name, which may hold spaces and parentheses).
std::string startTimeOf(pid_t pid) {
  std::string text;
  if (!sys::readFile("/proc/" + std::to_string(pid) + "/stat", text)) return "";
  size_t close = text.rfind(')');
  if (close == std::string::npos) return "";
  // Fields are single-blank separated after the name: field 3 starts two characters on.
  size_t at = close + 2;
  for (int i = 3; i < 22 && at < text.size(); i++) {
    at = text.find(' ', at);
    if (at == std::string::npos) return "";
    at++;
  }
  size_t end = text.find_first_of(" \n", at);
  return at < text.size() ? text.substr(at, end == std::string::npos ? std::string::npos : end - at) : "";
}
}  // namespace

Result openTargetInit(const Plan& plan, sys::Fd& pidfd) {
  if (targetInitPid(plan) <= 0) return ok();
  const std::string what = "container init " + std::to_string(targetInitPid(plan));
  pidfd.reset(sys::pidfdOpen(targetInitPid(plan)));
  if (!pidfd.valid()) return errno == ESRCH ? failWith(what + " is gone: the container is not running", ESRCH) : inStep(fail("pidfd_open", what), "join the container");
  if (startTimeOf(targetInitPid(plan)) != plan.targetInit->startTime) return failWith(what + " is gone: the pid belongs to another process now", ESRCH);
  return ok();
}

Result confirmTargetInit(const Plan& plan, int pidfd) {
  if (pidfd < 0) return ok();
  if (sys::pidfdSendSignal(pidfd, 0) != 0) return failWith("container init " + std::to_string(targetInitPid(plan)) + " exited while its namespaces were opened", ESRCH);
  return ok();
}

Result joinByPidfd(const Plan& plan, int pidfd, bool& joined) {
  joined = false;
  if (pidfd < 0) return ok();
  int flags = 0;
  for (const NamespacePlan& ns : plan.namespaces) flags |= ns.cloneFlag;
  if (::setns(pidfd, flags) == 0) {
    joined = true;
    return ok();
  }
  if (errno == EINVAL) return ok();
  return inStep(fail("setns", "pidfd of init " + std::to_string(targetInitPid(plan))), "join the container's namespaces");
}
