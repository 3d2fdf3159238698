// A minimal route-netlink client: the few link and address requests that moving a network device
// between namespaces needs. Raw NETLINK_ROUTE messages, no libnl/libmnl: the launcher is static and
// single-threaded. A socket acts in the network namespace it was created in, so one made while the
// launcher is setns'd into a container's namespace keeps working there after the launcher returns.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sys.h"

namespace rtnl {

struct Link {
  int index = 0;
  std::string name;
  unsigned flags = 0;  // IFF_*
};

// One address as the kernel dumped it, kept in a form that can be added again elsewhere.
struct Address {
  uint8_t family = 0, prefixLength = 0, scope = 0;
  uint32_t flags = 0;  // IFA_F_*, from IFA_FLAGS when present
  std::string label;   // IPv4 only
  // The attributes that describe the address itself (IFA_LOCAL, IFA_ADDRESS, IFA_BROADCAST,
  // IFA_RT_PRIORITY, IFA_PROTO), copied verbatim.
  std::vector<std::pair<uint16_t, std::string>> attrs;
  std::string text() const;  // "10.1.2.3/24"
};

class Socket {
 public:
  // In the calling process's current network namespace; false with errno set on failure.
  bool open();
  bool valid() const { return fd_.valid(); }

  // Each returns 0 or an errno value.
  int linkByName(const std::string& name, Link& out);
  int links(std::vector<Link>& out);
  int addresses(int index, std::vector<Address>& out);
  // One request, so the kernel renames atomically with the move (and can use a "%d" template when
  // the current name is taken in the target). An empty newName keeps the name.
  int moveLink(int index, int netnsFd, const std::string& newName);
  int setLinkUp(int index, bool up);
  int addAddress(int index, const Address& address);

 private:
  int request(std::string& msg, std::vector<std::string>* replies);
  sys::Fd fd_;
  uint32_t seq_ = 0;
};

}  // namespace rtnl
