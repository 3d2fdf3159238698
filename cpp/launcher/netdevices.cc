#include "netdevices.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/stat.h>

#include <algorithm>

#include "log.h"
#include "plan.h"

namespace {

std::string stepFor(const NetDevicePlan& dev) { return "move network device " + dev.hostName + " into the container"; }

// Failures read "move network device ifb0 into the container: <what>: <errno>", or without
// <what> when the move itself failed.
Result deviceFailure(const NetDevicePlan& dev, const std::string& op, const std::string& path, int err) {
  Failure f = sysFailure(op.empty() ? stepFor(dev) : op, path, err);
  f.step = stepFor(dev);
  return f;
}

bool isTemplate(const std::string& name) { return name.find('%') != std::string::npos; }

bool sameFile(int a, int b) {
  struct stat sa, sb;
  return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// An IPv4 label names its device ("eth0", "eth0:1"); it follows the device's new name.
std::string relabel(const std::string& label, const std::string& from, const std::string& to) {
  if (label == from) return to;
  if (label.compare(0, from.size() + 1, from + ":") == 0) {
    std::string renamed = to + label.substr(from.size());
    return renamed.size() < IFNAMSIZ ? renamed : std::string();  // too long: the kernel's default
  }
  return label;
}

}  // namespace

Result checkNetDevices(const Plan& plan) {
  if (plan.netDevices.empty()) return ok();
  const std::string step = "move network devices into the container";
  const NamespacePlan* net = findNamespace(plan, "network");
  if (!net) return inStep(failWith("the container has no network namespace of its own", EINVAL), step);
  if (!net->path.empty()) {
    sys::Fd own(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
    sys::Fd joined(::open(net->path.c_str(), O_RDONLY | O_CLOEXEC));
    if (own.valid() && joined.valid() && sameFile(own.get(), joined.get()))
      return inStep(failWith("the network namespace " + net->path + " is the runtime's own", EINVAL), step);
  }
  rtnl::Socket host;
  if (!host.open()) return inStep(fail("socket", "NETLINK_ROUTE"), step);
  for (const NetDevicePlan& dev : plan.netDevices) {
    rtnl::Link link;
    if (int err = host.linkByName(dev.hostName, link)) return deviceFailure(dev, "", "", err);
  }
  return ok();
}

// The container's socket is opened inside its namespace and keeps working there once the
// launcher is back in its own.
Result NetDeviceMover::openSockets(pid_t initPid) {
  const std::string step = "move network devices into the container";
  std::string initNs = "/proc/" + std::to_string(initPid) + "/ns/net";
  hostNs_.reset(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!hostNs_.valid()) return inStep(fail("open", "/proc/self/ns/net"), step);
  containerNs_.reset(::open(initNs.c_str(), O_RDONLY | O_CLOEXEC));
  if (!containerNs_.valid()) return inStep(fail("open", initNs), step);
  if (sameFile(hostNs_.get(), containerNs_.get())) return inStep(failWith("the container has no network namespace of its own", EINVAL), step);
  if (!host_.open()) return inStep(fail("socket", "NETLINK_ROUTE"), step);
  if (::setns(containerNs_.get(), CLONE_NEWNET) != 0) return inStep(fail("setns", initNs), step);
  bool opened = container_.open();
  int err = errno;
  if (::setns(hostNs_.get(), CLONE_NEWNET) != 0) return inStep(fail("setns", "/proc/self/ns/net"), step);
  if (!opened) return inStep(fail("socket", "NETLINK_ROUTE", err), step);
  return ok();
}

// The spec's error for a name already in the container's namespace, checked for every device
// before the first moves, so that a clash moves nothing. A "%d" template never clashes.
Result NetDeviceMover::checkNames(std::vector<rtnl::Link>& containerLinks) {
  if (int err = container_.links(containerLinks)) return inStep(fail("list links", "", err), "move network devices into the container");
  for (const NetDevicePlan& dev : devices_) {
    if (isTemplate(dev.name)) continue;
    for (const rtnl::Link& l : containerLinks) {
      if (l.name == dev.name) {
        Failure f = sysFailure("", "", EEXIST);
        f.message = dev.name + " already exists in the container's network namespace";
        f.step = stepFor(dev);
        return f;
      }
    }
  }
  return ok();
}

Result NetDeviceMover::moveOne(const NetDevicePlan& dev, std::vector<rtnl::Link>& containerLinks) {
  // Looked up again: checkNetDevices() ran before the fork, and the host may have changed since.
  rtnl::Link link;
  if (int err = host_.linkByName(dev.hostName, link)) return deviceFailure(dev, "", "", err);
  Moved moved{&dev, (link.flags & IFF_UP) != 0, {}, 0, dev.name};
  // Read before the move: leaving a namespace flushes every address.
  std::vector<rtnl::Address> all;
  if (int err = host_.addresses(link.index, all)) return deviceFailure(dev, "list addresses of", dev.hostName, err);
  for (rtnl::Address& a : all) {
    if ((a.flags & IFA_F_PERMANENT) && a.scope == RT_SCOPE_UNIVERSE) moved.addresses.push_back(std::move(a));
  }
  std::string newName = dev.name == dev.hostName ? std::string() : dev.name;
  if (int err = host_.moveLink(link.index, containerNs_.get(), newName)) return deviceFailure(dev, "", "", err);
  moved_.push_back(moved);

  // The kernel keeps the index unless the container's namespace uses it; either way the device
  // is the one link that was not there before.
  std::vector<rtnl::Link> now;
  if (int err = container_.links(now)) return deviceFailure(dev, "list links in the container", "", err);
  for (const rtnl::Link& l : now) {
    bool known = std::any_of(containerLinks.begin(), containerLinks.end(), [&](const rtnl::Link& k) { return k.index == l.index; });
    if (!known) { moved_.back().index = l.index; moved_.back().name = l.name; }
  }
  containerLinks = now;
  if (moved_.back().index == 0) return deviceFailure(dev, "find it in the container", "", ENODEV);
  return configureInside(moved_.back());
}

Result NetDeviceMover::configureInside(Moved& moved) {
  const NetDevicePlan& dev = *moved.plan;
  for (const rtnl::Address& host : moved.addresses) {
    rtnl::Address a = host;
    a.label = relabel(a.label, dev.hostName, moved.name);
    if (int err = container_.addAddress(moved.index, a)) return deviceFailure(dev, "add address", a.text(), err);
  }
  if (int err = container_.setLinkUp(moved.index, true)) return deviceFailure(dev, "set link up", moved.name, err);
  debugLog("network device " + dev.hostName + " is " + moved.name + " in the container, with " + std::to_string(moved.addresses.size()) + " address(es)");
  return ok();
}

Result NetDeviceMover::moveInto(pid_t initPid) {
  if (devices_.empty()) return ok();
  debugLog("moving " + std::to_string(devices_.size()) + " network device(s) into the network namespace of init " + std::to_string(initPid));
  TRY(openSockets(initPid));
  std::vector<rtnl::Link> containerLinks;
  TRY(checkNames(containerLinks));
  for (const NetDevicePlan& dev : devices_) TRY(moveOne(dev, containerLinks));
  return ok();
}

void NetDeviceMover::putBack() {
  for (auto it = moved_.rbegin(); it != moved_.rend(); ++it) {
    const NetDevicePlan& dev = *it->plan;
    auto warn = [&](const std::string& what, int err) {
      infoLog("network device " + dev.hostName + " could not be returned to the host: " + what + ": " + errnoText(err));
    };
    if (it->index == 0) { warn("find it in the container", ENODEV); continue; }
    if (int err = container_.moveLink(it->index, hostNs_.get(), dev.hostName)) { warn("move", err); continue; }
    rtnl::Link link;
    if (int err = host_.linkByName(dev.hostName, link)) { warn("find it on the host", err); continue; }
    for (const rtnl::Address& a : it->addresses) {
      if (int err = host_.addAddress(link.index, a)) warn("add address " + a.text(), err);
    }
    if (it->wasUp) {
      if (int err = host_.setLinkUp(link.index, true)) warn("set link up", err);
    }
  }
  moved_.clear();
}
