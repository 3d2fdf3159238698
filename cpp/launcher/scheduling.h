// How the container's process is scheduled: sched_setattr policy, I/O priority, personality, and
// CPU affinity for an exec'd process. The plan (process.scheduling, built by
// src/plan/scheduling.ts) carries kernel numbers only; this applies them.
#pragma once
#include <cstdint>
#include <vector>

#include "../common/json.h"
#include "failure.h"

struct SchedulingPlan {
  bool hasScheduler = false;
  uint32_t policy = 0;  // SCHED_*
  uint64_t flags = 0;   // SCHED_FLAG_*
  int32_t nice = 0;
  uint32_t priority = 0;
  uint64_t runtime = 0, deadline = 0, period = 0;  // nanoseconds, SCHED_DEADLINE only

  bool hasIoPriority = false;
  int ioClass = 0, ioLevel = 0;  // IOPRIO_CLASS_*, 0-7

  bool hasPersonality = false;
  unsigned long personality = 0;  // PER_*

  // execCPUAffinity; an empty list leaves the affinity alone.
  std::vector<int> initialCpus, finalCpus;
};

// `v` is process.scheduling (absent: nothing to do).
void parseScheduling(const json::Value& v, SchedulingPlan& out);

// First thing in the init, before it is placed anywhere or sets anything up, so that all of the
// setup runs on the `initial` CPUs.
Result applyInitialCpuAffinity(const SchedulingPlan& plan);

// Scheduler, then I/O priority, then personality (runc's order), while the init still has the
// privileges a real-time policy, a negative nice or IOPRIO_CLASS_RT need: before the user switch.
Result applySchedulingAttributes(const SchedulingPlan& plan);

// Last before execve: a process may always change its own affinity, so no privilege is needed.
Result applyFinalCpuAffinity(const SchedulingPlan& plan);
