#include "rtnetlink.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace rtnl {
namespace {

// Messages are built in a std::string: the header, a fixed family header, then attributes, each
// padded to NLMSG_ALIGNTO / RTA_ALIGNTO (both 4).
void pad(std::string& msg) { msg.resize(NLMSG_ALIGN(msg.size()), '\0'); }

std::string newMessage(uint16_t type, uint16_t flags) {
  nlmsghdr h{};
  h.nlmsg_type = type;
  h.nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
  return std::string(reinterpret_cast<const char*>(&h), sizeof h);
}

template <class T>
void addHeader(std::string& msg, const T& body) {
  pad(msg);
  msg.append(reinterpret_cast<const char*>(&body), sizeof body);
}

void addAttr(std::string& msg, uint16_t type, const void* data, size_t len) {
  pad(msg);
  rtattr a{};
  a.rta_type = type;
  a.rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
  msg.append(reinterpret_cast<const char*>(&a), sizeof a);
  msg.append(static_cast<const char*>(data), len);
}

void addString(std::string& msg, uint16_t type, const std::string& s) { addAttr(msg, type, s.c_str(), s.size() + 1); }

void addU32(std::string& msg, uint16_t type, uint32_t v) { addAttr(msg, type, &v, sizeof v); }

// Calls f(type, payload, length) for each attribute after a family header of `headerSize` bytes.
template <class F>
void forEachAttr(const std::string& reply, size_t headerSize, F f) {
  size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(headerSize);
  while (off + sizeof(rtattr) <= reply.size()) {
    const rtattr* a = reinterpret_cast<const rtattr*>(reply.data() + off);
    if (a->rta_len < sizeof(rtattr) || off + a->rta_len > reply.size()) break;
    f(static_cast<uint16_t>(a->rta_type & NLA_TYPE_MASK), reply.data() + off + RTA_LENGTH(0), a->rta_len - RTA_LENGTH(0));
    off += RTA_ALIGN(a->rta_len);
  }
}

bool parseLink(const std::string& reply, Link& out) {
  if (reply.size() < NLMSG_LENGTH(sizeof(ifinfomsg))) return false;
  const ifinfomsg* ifi = reinterpret_cast<const ifinfomsg*>(reply.data() + NLMSG_HDRLEN);
  out.index = ifi->ifi_index;
  out.flags = ifi->ifi_flags;
  out.name.clear();
  forEachAttr(reply, sizeof(ifinfomsg), [&](uint16_t type, const char* data, size_t len) {
    if (type == IFLA_IFNAME) out.name.assign(data, ::strnlen(data, len));
  });
  return true;
}

int linkRequestError(int err) {
  // An unknown name or index is ENODEV from the kernel; say so whatever the kernel version.
  return err == ENOENT ? ENODEV : err;
}

}  // namespace

std::string Address::text() const {
  char buf[INET6_ADDRSTRLEN] = "?";
  for (uint16_t want : {uint16_t{IFA_LOCAL}, uint16_t{IFA_ADDRESS}}) {
    for (const auto& [type, data] : attrs) {
      if (type != want) continue;
      if ((family == AF_INET && data.size() == 4) || (family == AF_INET6 && data.size() == 16)) {
        ::inet_ntop(family, data.data(), buf, sizeof buf);
        return std::string(buf) + "/" + std::to_string(prefixLength);
      }
    }
  }
  return std::string(buf) + "/" + std::to_string(prefixLength);
}

bool Socket::open() {
  fd_.reset(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd_.valid()) return false;
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    int err = errno;
    fd_.reset();
    errno = err;
    return false;
  }
  return true;
}

// Sends msg and collects the replies: for a dump every message up to NLMSG_DONE, otherwise up to
// the acknowledgement (NLM_F_ACK is added). A dump the kernel flags as interrupted (the table
// changed meanwhile) is run again.
int Socket::request(std::string& msg, std::vector<std::string>* replies) {
  nlmsghdr* h = reinterpret_cast<nlmsghdr*>(&msg[0]);
  const bool dump = (h->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  if (!dump) h->nlmsg_flags |= NLM_F_ACK;
  pad(msg);
  h = reinterpret_cast<nlmsghdr*>(&msg[0]);
  h->nlmsg_len = static_cast<uint32_t>(msg.size());
  for (int attempt = 0; attempt < 5; attempt++) {
    h->nlmsg_seq = ++seq_;
    if (replies) replies->clear();
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    ssize_t sent;
    do { sent = ::sendto(fd_.get(), msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel); } while (sent < 0 && errno == EINTR);
    if (sent < 0) return errno;
    bool interrupted = false, done = false;
    std::string buf(65536, '\0');
    while (!done) {
      ssize_t n;
      do { n = ::recv(fd_.get(), &buf[0], buf.size(), MSG_TRUNC); } while (n < 0 && errno == EINTR);
      if (n < 0) return errno;
      if (static_cast<size_t>(n) > buf.size()) return EMSGSIZE;
      size_t left = static_cast<size_t>(n);
      for (const nlmsghdr* r = reinterpret_cast<const nlmsghdr*>(buf.data()); NLMSG_OK(r, left); r = NLMSG_NEXT(r, left)) {
        if (r->nlmsg_seq != seq_) continue;  // a late reply to an earlier request
        if (r->nlmsg_flags & NLM_F_DUMP_INTR) interrupted = true;
        if (r->nlmsg_type == NLMSG_ERROR) {
          if (r->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) return EPROTO;
          int err = -reinterpret_cast<const nlmsgerr*>(NLMSG_DATA(r))->error;
          if (err != 0 || !dump) return err;
          continue;
        }
        if (r->nlmsg_type == NLMSG_DONE) {
          if (!interrupted) return 0;
          done = true;
          break;
        }
        if (replies) replies->emplace_back(reinterpret_cast<const char*>(r), r->nlmsg_len);
      }
    }
  }
  return EAGAIN;
}

int Socket::linkByName(const std::string& name, Link& out) {
  std::string msg = newMessage(RTM_GETLINK, 0);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  addHeader(msg, ifi);
  addString(msg, IFLA_IFNAME, name);
  addU32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  std::vector<std::string> replies;
  if (int err = request(msg, &replies)) return linkRequestError(err);
  return !replies.empty() && parseLink(replies.front(), out) ? 0 : ENODEV;
}

int Socket::links(std::vector<Link>& out) {
  std::string msg = newMessage(RTM_GETLINK, NLM_F_DUMP);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  addHeader(msg, ifi);
  addU32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  std::vector<std::string> replies;
  if (int err = request(msg, &replies)) return err;
  out.clear();
  for (const std::string& r : replies) {
    Link link;
    if (reinterpret_cast<const nlmsghdr*>(r.data())->nlmsg_type == RTM_NEWLINK && parseLink(r, link)) out.push_back(link);
  }
  return 0;
}

int Socket::addresses(int index, std::vector<Address>& out) {
  std::string msg = newMessage(RTM_GETADDR, NLM_F_DUMP);
  ifaddrmsg ifa{};
  ifa.ifa_family = AF_UNSPEC;
  addHeader(msg, ifa);
  std::vector<std::string> replies;
  if (int err = request(msg, &replies)) return err;
  out.clear();
  for (const std::string& r : replies) {
    if (reinterpret_cast<const nlmsghdr*>(r.data())->nlmsg_type != RTM_NEWADDR || r.size() < NLMSG_LENGTH(sizeof(ifaddrmsg))) continue;
    const ifaddrmsg* m = reinterpret_cast<const ifaddrmsg*>(r.data() + NLMSG_HDRLEN);
    if (static_cast<int>(m->ifa_index) != index) continue;
    Address a;
    a.family = m->ifa_family;
    a.prefixLength = m->ifa_prefixlen;
    a.scope = m->ifa_scope;
    a.flags = m->ifa_flags;
    forEachAttr(r, sizeof(ifaddrmsg), [&](uint16_t type, const char* data, size_t len) {
      switch (type) {
        case IFA_FLAGS:
          if (len >= 4) std::memcpy(&a.flags, data, 4);
          break;
        case IFA_LABEL:
          a.label.assign(data, ::strnlen(data, len));
          break;
        case IFA_LOCAL: case IFA_ADDRESS: case IFA_BROADCAST: case IFA_RT_PRIORITY: case IFA_PROTO:
          a.attrs.emplace_back(type, std::string(data, len));
          break;
        default:
          break;
      }
    });
    out.push_back(std::move(a));
  }
  return 0;
}

int Socket::moveLink(int index, int netnsFd, const std::string& newName) {
  std::string msg = newMessage(RTM_NEWLINK, 0);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  addHeader(msg, ifi);
  addU32(msg, IFLA_NET_NS_FD, static_cast<uint32_t>(netnsFd));
  if (!newName.empty()) addString(msg, IFLA_IFNAME, newName);
  return request(msg, nullptr);
}

int Socket::setLinkUp(int index, bool up) {
  std::string msg = newMessage(RTM_NEWLINK, 0);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  ifi.ifi_flags = up ? IFF_UP : 0;
  ifi.ifi_change = IFF_UP;
  addHeader(msg, ifi);
  return request(msg, nullptr);
}

int Socket::addAddress(int index, const Address& address) {
  // Only what an administrator can ask for; the kernel sets the rest (permanent, secondary, DAD
  // states) itself. IPv6 masks the same set.
  constexpr uint32_t kSettable = IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE | IFA_F_MCAUTOJOIN | IFA_F_OPTIMISTIC;
  std::string msg = newMessage(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  ifaddrmsg ifa{};
  ifa.ifa_family = address.family;
  ifa.ifa_prefixlen = address.prefixLength;
  ifa.ifa_scope = address.scope;
  ifa.ifa_flags = static_cast<uint8_t>(address.flags & kSettable);
  ifa.ifa_index = static_cast<uint32_t>(index);
  addHeader(msg, ifa);
  for (const auto& [type, data] : address.attrs) addAttr(msg, type, data.data(), data.size());
  if (!address.label.empty()) addString(msg, IFA_LABEL, address.label);
  addU32(msg, IFA_FLAGS, address.flags & kSettable);
  return request(msg, nullptr);
}

}  // namespace rtnl
