#include "process.h"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "sys.h"

Result switchUser(const ProcessPlan& p) {
  std::vector<gid_t> groups(p.additionalGids.begin(), p.additionalGids.end());
  if (::setgroups(groups.size(), groups.data()) != 0) return inStep(fail("setgroups"), "set user");
  if (::setresgid(p.gid, p.gid, p.gid) != 0) return inStep(fail("setgid", std::to_string(p.gid)), "set user");
  if (::setresuid(p.uid, p.uid, p.uid) != 0) return inStep(fail("setuid", std::to_string(p.uid)), "set user");
  return ok();
}

namespace {
std::string homeOf(uint32_t uid) {
  std::string passwd;
  if (!sys::readFile("/etc/passwd", passwd)) return "/";
  size_t i = 0;
  while (i < passwd.size()) {
    size_t nl = passwd.find('\n', i);
    if (nl == std::string::npos) nl = passwd.size();
    std::string line = passwd.substr(i, nl - i);
    i = nl + 1;
    // name:password:uid:gid:gecos:home:shell
    std::vector<std::string> f;
    size_t s = 0;
    while (true) {
      size_t c = line.find(':', s);
      f.push_back(line.substr(s, c == std::string::npos ? std::string::npos : c - s));
      if (c == std::string::npos) break;
      s = c + 1;
    }
    if (f.size() >= 6 && f[2] == std::to_string(uid)) return f[5].empty() ? "/" : f[5];
  }
  return "/";
}

std::string envValue(const std::vector<std::string>& env, const std::string& name) {
  std::string prefix = name + "=";
  std::string value;
  bool found = false;
  for (const std::string& e : env) if (e.compare(0, prefix.size(), prefix) == 0) { value = e.substr(prefix.size()); found = true; }
  return found ? value : std::string();
}

bool hasEnv(const std::vector<std::string>& env, const std::string& name) {
  std::string prefix = name + "=";
  for (const std::string& e : env) if (e.compare(0, prefix.size(), prefix) == 0) return true;
  return false;
}

// 0 when path is an executable regular file, else the errno that says why not.
int checkExecutable(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return errno;
  if (S_ISDIR(st.st_mode)) return EISDIR;
  if (!(st.st_mode & 0111)) return EACCES;
  return 0;
}
}  // namespace

std::vector<std::string> processEnvironment(const ProcessPlan& p) {
  std::vector<std::string> env = p.env;
  if (!hasEnv(env, "HOME")) env.push_back("HOME=" + homeOf(p.uid));
  return env;
}

Result resolveExecutable(const ProcessPlan& p, const std::vector<std::string>& env, std::string& path) {
  if (p.args.empty()) return failWith("args must not be empty", EINVAL);
  const std::string& name = p.args[0];
  std::string quoted = "exec: \"" + name + "\"";
  if (name.find('/') != std::string::npos) {
    int e = checkExecutable(name);
    if (e == 0) { path = name; return ok(); }
    if (e == ENOENT) return failWith(quoted + ": stat " + name + ": no such file or directory", ENOENT);
    return failWith(quoted + ": " + std::strerror(e == EISDIR ? EACCES : e), e == EISDIR ? EACCES : e);
  }
  std::string dirs = envValue(env, "PATH");
  size_t s = 0;
  while (s <= dirs.size() && !dirs.empty()) {
    size_t c = dirs.find(':', s);
    std::string dir = dirs.substr(s, c == std::string::npos ? std::string::npos : c - s);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    if (checkExecutable(candidate) == 0) { path = candidate; return ok(); }
    if (c == std::string::npos) break;
    s = c + 1;
  }
  return failWith(quoted + ": executable file not found in $PATH", ENOENT);
}
