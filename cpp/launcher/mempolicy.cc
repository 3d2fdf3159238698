#include "mempolicy.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <string>

#include "sys.h"

void parseMemoryPolicy(const json::Value& v, MemoryPolicyPlan& out) {
  out.enabled = v.isObject();
  out.mode = static_cast<int>(v.integer("mode"));
  for (const auto& n : v["nodes"].items()) {
    int64_t node = n.asInt(-1);
    if (node >= 0) out.nodes.push_back(static_cast<int>(node));
  }
}

Result applyMemoryPolicy(const MemoryPolicyPlan& plan) {
  if (!plan.enabled) return ok();
  constexpr int bits = sizeof(unsigned long) * CHAR_BIT;
  std::vector<unsigned long> mask(plan.nodes.empty() ? 0 : plan.nodes.back() / bits + 1, 0);
  for (int node : plan.nodes) mask[node / bits] |= 1UL << (node % bits);
  // The kernel reads one bit fewer than maxnode says (it has always done so; libnuma passes
  // the mask's size plus one too).
  unsigned long maxnode = mask.empty() ? 0 : mask.size() * bits + 1;
  if (::syscall(SYS_set_mempolicy, plan.mode, mask.empty() ? nullptr : mask.data(), maxnode) != 0)
    return inStep(fail("set_mempolicy", plan.nodes.empty() ? "" : "nodes " + sys::listText(plan.nodes)), "set memory policy");
  return ok();
}
