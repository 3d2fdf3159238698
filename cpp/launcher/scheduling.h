// How the container's process is scheduled: sched_setattr policy, I/O priority, personality, and
// CPU affinity for an exec'd process. The plan (process.scheduling, built by
// src/plan/scheduling.ts) carries kernel numbers only; this applies them.
#pragma once
#include <cstdint>
#include <vector>

#include "../common/generated/contract.h"
#include "failure.h"

// First thing in the init, before it is placed anywhere or sets anything up, so that all of the
// setup runs on the `initial` CPUs.
Result applyInitialCpuAffinity(const std::optional<SchedulingPlan>& plan);

// Scheduler, then I/O priority, then personality (runc's order), while the init still has the
// privileges a real-time policy, a negative nice or IOPRIO_CLASS_RT need: before the user switch.
Result applySchedulingAttributes(const std::optional<SchedulingPlan>& plan);

// Last before execve: a process may always change its own affinity, so no privilege is needed.
Result applyFinalCpuAffinity(const std::optional<SchedulingPlan>& plan);
