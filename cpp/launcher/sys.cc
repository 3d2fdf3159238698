#include "sys.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

namespace sys {

namespace {
// A message header for one buffer and room for one fd.
struct FdMessage {
  iovec iov;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr mh{};
  FdMessage(void* data, size_t size) : iov{data, size} {
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
  }
};
}  // namespace

ssize_t sendWithFd(int sock, const std::string& data, int fd) {
  FdMessage m(const_cast<char*>(data.data()), data.size());
  cmsghdr* c = CMSG_FIRSTHDR(&m.mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t n;
  do { n = ::sendmsg(sock, &m.mh, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
  return n;
}

ssize_t recvWithFd(int sock, char* buf, size_t size, int& fd) {
  FdMessage m(buf, size);
  ssize_t n = ::recvmsg(sock, &m.mh, MSG_CMSG_CLOEXEC);
  if (n < 0) return n;
  for (cmsghdr* c = CMSG_FIRSTHDR(&m.mh); c; c = CMSG_NXTHDR(&m.mh, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  }
  return n;
}

int connectUnix(const std::string& path, int& err) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) { err = ENAMETOOLONG; return -1; }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) { err = errno; return -1; }
  int r;
  do { r = ::connect(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr); } while (r < 0 && errno == EINTR);
  if (r < 0) { err = errno; ::close(sock); return -1; }
  return sock;
}

bool writeFile(const std::string& path, const std::string& data, int& err) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) { err = errno; return false; }
  ssize_t n;
  do { n = ::write(fd, data.data(), data.size()); } while (n < 0 && errno == EINTR);
  err = n < 0 ? errno : 0;
  ::close(fd);
  if (n >= 0 && static_cast<size_t>(n) != data.size()) { err = EIO; return false; }
  return n >= 0;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t s = 0;
  while (s <= text.size()) {
    size_t e = text.find(sep, s);
    if (e == std::string::npos) e = text.size();
    out.push_back(text.substr(s, e - s));
    s = e + 1;
  }
  return out;
}

bool readFile(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return n == 0;
}

std::string listText(const std::vector<int>& sorted) {
  std::string text;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) j++;
    text += (text.empty() ? "" : ",") + std::to_string(sorted[i]) + (j > i ? "-" + std::to_string(sorted[j]) : "");
    i = j + 1;
  }
  return text;
}

}  // namespace sys
