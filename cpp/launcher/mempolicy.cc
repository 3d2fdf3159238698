#include "mempolicy.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <string>

#include "sys.h"

Result applyMemoryPolicy(const std::optional<MemoryPolicyPlan>& wanted) {
  if (!wanted) return ok();
  const MemoryPolicyPlan& plan = *wanted;
  for (int node : plan.nodes)
    if (node < 0) return inStep(failWith("node " + std::to_string(node) + " is not a node number", EINVAL), "set memory policy");
  constexpr int bits = sizeof(unsigned long) * CHAR_BIT;
  int highest = -1;
  for (int node : plan.nodes) highest = node > highest ? node : highest;
  std::vector<unsigned long> mask(highest < 0 ? 0 : static_cast<size_t>(highest / bits + 1), 0);
  for (int node : plan.nodes) mask[node / bits] |= 1UL << (node % bits);
  // The kernel reads one bit fewer than maxnode says (it has always done so; libnuma passes
  // the mask's size plus one too).
  unsigned long maxnode = mask.empty() ? 0 : mask.size() * bits + 1;
  if (::syscall(SYS_set_mempolicy, plan.mode, mask.empty() ? nullptr : mask.data(), maxnode) != 0)
    return inStep(fail("set_mempolicy", plan.nodes.empty() ? "" : "nodes " + sys::listText(plan.nodes)), "set memory policy");
  return ok();
}
