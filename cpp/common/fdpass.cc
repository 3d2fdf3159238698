#include "fdpass.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fdpass {

namespace {
const size_t kMaxFds = 16;
}  // namespace

int unixSocket(const std::string& path, bool bindIt, int& err, const char*& op) {
  op = bindIt ? "bind" : "connect";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) { err = ENAMETOOLONG; return -1; }
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) { err = errno; op = "socket"; return -1; }
  const sockaddr* a = reinterpret_cast<const sockaddr*>(&addr);
  if ((bindIt ? ::bind(fd, a, sizeof addr) : ::connect(fd, a, sizeof addr)) != 0) {
    err = errno;
    ::close(fd);
    return -1;
  }
  return fd;
}

ssize_t sendWithFd(int sock, const std::string& payload, int fd) {
  const std::string data = payload.empty() ? std::string(1, '\0') : payload;
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    cmsghdr align;
  } control;
  std::memset(&control, 0, sizeof control);
  iovec iov{const_cast<char*>(data.data()), data.size()};
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control.buf;
  mh.msg_controllen = sizeof control.buf;
  cmsghdr* c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t n;
  do { n = ::sendmsg(sock, &mh, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
  if (n < 0) return n;
  size_t sent = static_cast<size_t>(n);
  while (sent < data.size()) {
    ssize_t m = ::send(sock, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (m < 0 && errno == EINTR) continue;
    if (m < 0) return m;
    sent += static_cast<size_t>(m);
  }
  return static_cast<ssize_t>(sent);
}

ssize_t recvWithFds(int sock, char* buf, size_t size, std::vector<int>& fds, bool& truncated) {
  union {
    char buf[CMSG_SPACE(sizeof(int) * kMaxFds)];
    cmsghdr align;
  } control;
  std::memset(&control, 0, sizeof control);
  iovec iov{buf, size};
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control.buf;
  mh.msg_controllen = sizeof control.buf;
  ssize_t n = ::recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
  if (n < 0) return n;
  truncated = (mh.msg_flags & MSG_CTRUNC) != 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; i++) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      fds.push_back(fd);
    }
  }
  return n;
}

}  // namespace fdpass
