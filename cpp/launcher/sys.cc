#include "sys.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace sys {

ssize_t sendWithFd(int sock, const std::string& data, int fd) {
  iovec iov{const_cast<char*>(data.data()), data.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t n;
  do { n = ::sendmsg(sock, &mh, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
  return n;
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

}  // namespace sys
