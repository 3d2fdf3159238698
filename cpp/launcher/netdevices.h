// linux.netDevices: host network interfaces moved into the container's network namespace, renamed,
// with their permanent global addresses, and brought up (runtime-spec config-linux.md, "Network
// Devices"). The launcher does it: it stays in the host's network namespace and is single-threaded,
// so it can enter the container's namespace for a moment to open a netlink socket there.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

#include "../common/generated/contract.h"
#include "failure.h"
#include "rtnetlink.h"
#include "sys.h"

struct Plan;

// Before anything is created: the container gets a network namespace that is not the runtime's
// own, and every device exists on the host.
Result checkNetDevices(const Plan& plan);

// Moves the devices once the init exists (its network namespace is then the container's), and
// puts them back if the create fails afterwards: a failed create leaves the host as it was
// (runtime.md, "Errors"). After a successful create the devices are never moved back: the spec
// leaves them to the namespace's end, when the kernel destroys virtual devices and returns
// physical ones to the initial namespace.
class NetDeviceMover {
 public:
  explicit NetDeviceMover(const std::vector<NetDevicePlan>& devices) : devices_(devices) {}
  Result moveInto(pid_t initPid);
  // Best effort, on failure only; what cannot be undone is logged.
  void putBack();

 private:
  struct Moved {
    const NetDevicePlan* plan;
    bool wasUp = false;
    std::vector<rtnl::Address> addresses;  // the permanent global ones, as on the host
    int index = 0;                         // in the container's namespace, once found
    std::string name;                      // the kernel's choice when plan->name has "%d"
  };
  Result openSockets(pid_t initPid);
  Result checkNames(std::vector<rtnl::Link>& containerLinks);
  Result moveOne(const NetDevicePlan& dev, std::vector<rtnl::Link>& containerLinks);
  Result configureInside(Moved& moved);

  const std::vector<NetDevicePlan>& devices_;
  sys::Fd hostNs_, containerNs_;  // containerNs_ also keeps the namespace alive for putBack()
  rtnl::Socket host_, container_;
  std::vector<Moved> moved_;
};
