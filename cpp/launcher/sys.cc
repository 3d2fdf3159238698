#include "sys.h"

#include <cerrno>
#include <cstring>

namespace sys {

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
