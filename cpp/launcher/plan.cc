#include "plan.h"

const NamespacePlan* findNamespace(const Plan& plan, const std::string& type) {
  for (const auto& n : plan.namespaces) if (n.type == type) return &n;
  return nullptr;
}

Result parsePlan(const json::Value& v, Plan& plan) {
  // The version first: a plan of another version may not parse, and this is the clearer error.
  const json::Value& version = v["version"];
  if (!version.isNumber() || version.asNumber() != contract::kPlanVersion)
    return failWith("launch plan version " + (version.isNumber() ? std::to_string(version.asInt()) : version.dump()) + " is not supported by this launcher", EINVAL);
  std::string error;
  if (!fromJson(v, plan, "launch plan", error)) return failWith(error, EINVAL);
  if (isExec(plan) && !plan.process) return failWith("launch plan: an exec plan has no process", EINVAL);
  if (isExec(plan) && !plan.targetInit) return failWith("launch plan: an exec plan has no targetInit", EINVAL);
  if (!isExec(plan) && plan.rootfs.empty()) return failWith("launch plan has no rootfs", EINVAL);
  return ok();
}
