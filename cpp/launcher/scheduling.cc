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

std::vector<int> cpuList(const json::Value& list) {
  std::vector<int> out;
  for (const auto& c : list.items()) {
    int64_t n = c.asInt(-1);
    if (n >= 0) out.push_back(static_cast<int>(n));
  }
  return out;
}

// Sized for the largest CPU named rather than cpu_set_t's fixed 1024: the kernel ignores bits
// past its own CPU count, and fails only when no CPU of the mask is usable.
Result setAffinity(const std::vector<int>& cpus, const std::string& step) {
  if (cpus.empty()) return ok();
  int highest = 0;
  for (int cpu : cpus) highest = cpu > highest ? cpu : highest;
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

void parseScheduling(const json::Value& v, SchedulingPlan& out) {
  const json::Value& s = v["scheduler"];
  out.hasScheduler = s.isObject();
  out.policy = static_cast<uint32_t>(s.integer("policy"));
  out.flags = static_cast<uint64_t>(s.integer("flags"));
  out.nice = static_cast<int32_t>(s.integer("nice"));
  out.priority = static_cast<uint32_t>(s.integer("priority"));
  out.runtime = static_cast<uint64_t>(s.integer("runtime"));
  out.deadline = static_cast<uint64_t>(s.integer("deadline"));
  out.period = static_cast<uint64_t>(s.integer("period"));
  const json::Value& io = v["ioPriority"];
  out.hasIoPriority = io.isObject();
  out.ioClass = static_cast<int>(io.integer("class"));
  out.ioLevel = static_cast<int>(io.integer("priority"));
  out.hasPersonality = v.has("personality");
  out.personality = static_cast<unsigned long>(v.integer("personality"));
  const json::Value& affinity = v["cpuAffinity"];
  out.initialCpus = cpuList(affinity["initial"]);
  out.finalCpus = cpuList(affinity["final"]);
}

Result applyInitialCpuAffinity(const SchedulingPlan& plan) { return setAffinity(plan.initialCpus, "set initial CPU affinity"); }

Result applyFinalCpuAffinity(const SchedulingPlan& plan) { return setAffinity(plan.finalCpus, "set final CPU affinity"); }

Result applySchedulingAttributes(const SchedulingPlan& plan) {
  if (plan.hasScheduler) {
    // The full structure, util-clamp fields zero, as runc passes it: with a smaller size the
    // kernel would refuse the SCHED_FLAG_UTIL_CLAMP_* flags outright.
    SchedAttr attr{sizeof(SchedAttr), plan.policy, plan.flags, plan.nice, plan.priority, plan.runtime, plan.deadline, plan.period, 0, 0};
    if (::syscall(SYS_sched_setattr, 0, &attr, 0) != 0) return inStep(fail("sched_setattr"), "set scheduler");
  }
  // The init is alone in the process group setsid gave it, so the process is the group the spec
  // talks about; children inherit the priority.
  if (plan.hasIoPriority &&
      ::syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_PRIO_VALUE(plan.ioClass, plan.ioLevel)) != 0)
    return inStep(fail("ioprio_set"), "set I/O priority");
  if (plan.hasPersonality && ::personality(plan.personality) == -1)
    return inStep(fail("personality", std::to_string(plan.personality)), "set personality");
  return ok();
}
