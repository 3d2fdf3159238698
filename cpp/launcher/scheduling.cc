#include "scheduling.h"

#include <linux/ioprio.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "sys.h"

namespace {
// struct sched_attr (SCHED_ATTR_SIZE_VER1); <linux/sched/types.h> cannot be included next to
// glibc's <sched.h>, which redefines struct sched_param.
struct SchedAttr {
  uint32_t size, policy;
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  uint64_t runtime, deadline, period;
  uint32_t utilMin, utilMax;
};
static_assert(sizeof(SchedAttr) == 56, "struct sched_attr is 56 bytes");

// Sized for the largest CPU named rather than cpu_set_t's fixed 1024: the kernel ignores bits
// past its own CPU count, and fails only when no CPU of the mask is usable.
Result setAffinity(const std::vector<int>& cpus, const std::string& step) {
  if (cpus.empty()) return ok();
  int highest = 0;
  for (int cpu : cpus) {
    if (cpu < 0) return inStep(failWith("CPU " + std::to_string(cpu) + " is not a CPU number", EINVAL), step);
    highest = cpu > highest ? cpu : highest;
  }
  size_t size = CPU_ALLOC_SIZE(highest + 1);
  cpu_set_t* set = CPU_ALLOC(highest + 1);
  if (!set) return inStep(fail("CPU_ALLOC", "", ENOMEM), step);
  CPU_ZERO_S(size, set);
  for (int cpu : cpus) CPU_SET_S(cpu, size, set);
  int rc = ::sched_setaffinity(0, size, set);
  int err = errno;
  CPU_FREE(set);
  if (rc != 0) return inStep(fail("sched_setaffinity", sys::listText(cpus), err), step);
  return ok();
}
}  // namespace

Result applyInitialCpuAffinity(const std::optional<SchedulingPlan>& plan) {
  if (!plan || !plan->cpuAffinity) return ok();
  return setAffinity(plan->cpuAffinity->initial, "set initial CPU affinity");
}

Result applyFinalCpuAffinity(const std::optional<SchedulingPlan>& plan) {
  if (!plan || !plan->cpuAffinity) return ok();
  return setAffinity(plan->cpuAffinity->final, "set final CPU affinity");
}

Result applySchedulingAttributes(const std::optional<SchedulingPlan>& wanted) {
  if (!wanted) return ok();
  const SchedulingPlan& plan = *wanted;
  if (const auto& s = plan.scheduler) {
    // The full structure, util-clamp fields zero, as runc passes it: with a smaller size the
    // kernel would refuse the SCHED_FLAG_UTIL_CLAMP_* flags outright.
    SchedAttr attr{sizeof(SchedAttr), s->policy, s->flags, s->nice, s->priority, s->runtime, s->deadline, s->period, 0, 0};
    if (::syscall(SYS_sched_setattr, 0, &attr, 0) != 0) return inStep(fail("sched_setattr"), "set scheduler");
  }
  // The init is alone in the process group setsid gave it, so the process is the group the spec
  // talks about; children inherit the priority.
  if (plan.ioPriority &&
      ::syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_PRIO_VALUE(plan.ioPriority->ioClass, plan.ioPriority->priority)) != 0)
    return inStep(fail("ioprio_set"), "set I/O priority");
  if (plan.personality && ::personality(*plan.personality) == -1)
    return inStep(fail("personality", std::to_string(*plan.personality)), "set personality");
  return ok();
}
