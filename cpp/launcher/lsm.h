// Linux security module labels: the AppArmor profile and SELinux label the container's process
// gets at execve, and the SELinux label of mounts the plan's mount data cannot carry. The plan
// builder has already refused labels the host cannot apply, so any failure here is reported.
#pragma once
#include <string>

#include "failure.h"
#include "plan.h"
#include "procfs.h"
#include "sys.h"

// Writes process.apparmorProfile and process.selinuxLabel to this thread's attr/exec files, so the
// kernel applies them at the next execve and not before, through the runtime's own procfs.
Result applyExecLabels(const ProcessPlan& p, const ProcfsHandle& proc);

// Mount data for a tmpfs tsrunc mounts itself (masked directories): context="<label>", or "".
std::string contextMountData(const std::string& mountLabel);

// Labels the root of a mount whose filesystem takes no context= option (mqueue) with an xattr;
// `mountedPath` names the new mount, `destination` is what errors show. Nothing without a label.
Result labelMountRoot(const std::string& mountedPath, const std::string& destination, const std::string& mountLabel);
