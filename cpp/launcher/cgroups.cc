#include "cgroups.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

Result openCgroupForClone(const CgroupPlan& plan, sys::Fd& out) {
  if (plan.intoCgroup.empty()) return ok();
  out.reset(::open(plan.intoCgroup.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!out.valid()) return inStep(fail("open", plan.intoCgroup), "open the container's cgroup");
  return ok();
}

pid_t cloneInitProcess(int cgroupFd, bool canRetry, bool& placed) {
  placed = false;
  if (cgroupFd >= 0) {
    struct clone_args args;
    std::memset(&args, 0, sizeof args);
    args.flags = CLONE_PARENT | CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroupFd);
    // exit_signal is ignored with CLONE_PARENT (the child inherits ours); 0 keeps clone3 happy.
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid >= 0) {
      placed = true;
      return static_cast<pid_t>(pid);
    }
    // Without clone3 (ENOSYS) or CLONE_INTO_CGROUP (E2BIG, EINVAL) nothing was allocated yet.
    if (!canRetry && errno != ENOSYS && errno != E2BIG && errno != EINVAL) return -1;
  }
  return static_cast<pid_t>(::syscall(SYS_clone, CLONE_PARENT, nullptr, nullptr, nullptr, 0));
}

Result joinCgroups(const CgroupPlan& plan, pid_t pid, bool placedAtBirth) {
  std::string skip = placedAtBirth ? plan.intoCgroup + "/cgroup.procs" : std::string();
  std::string text = std::to_string(pid);
  for (const std::string& file : plan.procsFiles) {
    if (file == skip) continue;
    sys::Fd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd.valid()) return inStep(fail("open", file), "join cgroup");
    if (::write(fd.get(), text.data(), text.size()) < 0) return inStep(fail("write " + text + " to", file), "join cgroup");
  }
  return ok();
}
