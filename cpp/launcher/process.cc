#include "process.h"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <climits>
#include <cstring>

#include "rootfs.h"
#include "sys.h"

namespace {

bool setgroupsDenied() {
  std::string text;
  return sys::readFile("/proc/self/setgroups", text) && text.compare(0, 4, "deny") == 0;
}

int lastCap() {
  std::string text;
  if (!sys::readFile("/proc/sys/kernel/cap_last_cap", text)) return 40;
  return std::atoi(text.c_str());
}

Result dropBoundingSet(const CapabilitiesPlan& p) {
  int last = lastCap();
  for (int cap = 0; cap <= last; cap++) {
    if (p.bounding & (uint64_t{1} << cap)) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return inStep(fail("prctl PR_CAPBSET_DROP", std::to_string(cap)), "drop bounding capabilities");
  }
  return ok();
}

Result setCapabilities(const CapabilitiesPlan& p, uint64_t extra) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  uint64_t effective = p.effective | extra, permitted = p.permitted | extra;
  data[0].effective = static_cast<uint32_t>(effective);
  data[1].effective = static_cast<uint32_t>(effective >> 32);
  data[0].permitted = static_cast<uint32_t>(permitted);
  data[1].permitted = static_cast<uint32_t>(permitted >> 32);
  data[0].inheritable = static_cast<uint32_t>(p.inheritable);
  data[1].inheritable = static_cast<uint32_t>(p.inheritable >> 32);
  if (::syscall(SYS_capset, &header, data) != 0) return inStep(fail("capset"), "set capabilities");
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  for (int cap = 0; cap < 64; cap++) {
    if (!(p.ambient & (uint64_t{1} << cap))) continue;
    // A capability not also permitted and inheritable cannot be ambient; runc skips it too.
    ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
  }
  return ok();
}

const char* rlimitName(int type) {
  static const char* names[] = {"RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS",
                                "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS",
                                "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME"};
  return type >= 0 && type < 16 ? names[type] : "RLIMIT_?";
}
}  // namespace

Result applyRlimits(const ProcessPlan& p) {
  for (const RlimitPlan& r : p.rlimits) {
    struct rlimit lim{r.soft == ~uint64_t{0} ? RLIM_INFINITY : r.soft, r.hard == ~uint64_t{0} ? RLIM_INFINITY : r.hard};
    if (::setrlimit(static_cast<__rlimit_resource>(r.type), &lim) != 0) {
      int e = errno;
      if (e == EPERM)
        return failWith(std::string("error setting rlimit type ") + rlimitName(r.type) + ": raising the hard limit needs CAP_SYS_RESOURCE, which this host does not grant", e);
      return inStep(fail("setrlimit", rlimitName(r.type), e), "set rlimits");
    }
  }
  return ok();
}

Result writeOomScoreAdj(const ProcessPlan& p, pid_t pid, const ProcfsHandle& proc) {
  if (!p.oomScoreAdj) return ok();
  return inStep(proc.write(std::to_string(pid) + "/oom_score_adj", std::to_string(*p.oomScoreAdj)), "set oom_score_adj");
}

Result switchUser(const ProcessPlan& p, bool keepSysAdmin) {
  if (p.capabilities) TRY(dropBoundingSet(*p.capabilities));
  if (p.capabilities && ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return inStep(fail("prctl PR_SET_KEEPCAPS"), "set user");
  std::vector<gid_t> groups(p.additionalGids.begin(), p.additionalGids.end());
  // A rootless user namespace denies setgroups: only a process with no extra groups may go on.
  if (::setgroups(groups.size(), groups.data()) != 0 && !(errno == EPERM && groups.empty() && setgroupsDenied()))
    return inStep(fail("setgroups"), "set user");
  if (::setresgid(p.gid, p.gid, p.gid) != 0) return inStep(fail("setgid", std::to_string(p.gid)), "set user");
  if (::setresuid(p.uid, p.uid, p.uid) != 0) return inStep(fail("setuid", std::to_string(p.uid)), "set user");
  if (p.capabilities) {
    ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    TRY(setCapabilities(*p.capabilities, keepSysAdmin ? uint64_t{1} << CAP_SYS_ADMIN : 0));
  }
  return ok();
}

Result setNoNewPrivileges(const ProcessPlan& p) {
  if (p.noNewPrivileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return inStep(fail("prctl PR_SET_NO_NEW_PRIVS"), "set no_new_privs");
  return ok();
}

namespace {
constexpr uint64_t kCwdResolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

Result cwdRefused(const std::string& cwd, int err) {
  if (err == ELOOP || err == EXDEV)
    return failWith("\"" + cwd + "\" is refused: it goes through a /proc magic link, which can lead out of the container", err);
  return fail("open", cwd, err);
}
}  // namespace

Result prepareWorkingDirectory(int rootfd, const std::string& cwd) {
  sys::Fd dir(sys::openat2(rootfd, cwd.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, kCwdResolve));
  if (dir.valid()) return ok();
  // Root may not enter a directory only the container user can (root squashing): that is checked
  // again once the user is switched.
  if (errno == EACCES) return ok();
  if (errno != ENOENT) return inStep(cwdRefused(cwd, errno), "create cwd");
  sys::Fd made;
  return inStep(openInRoot(rootfd, cwd, Create::Directory, made), "create cwd");
}

Result enterWorkingDirectory(const std::string& cwd) {
  sys::Fd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return inStep(fail("open", "/"), "set cwd");
  sys::Fd dir(sys::openat2(root.get(), cwd.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, kCwdResolve));
  if (!dir.valid()) return inStep(cwdRefused(cwd, errno), "set cwd");
  if (::fchdir(dir.get()) != 0) return inStep(fail("chdir", cwd), "set cwd");
  // The kernel reports a cwd outside the process's root as "(unreachable)…", which glibc turns
  // into ENOENT: a second, independent check that the directory is inside the container.
  char where[PATH_MAX];
  if (::getcwd(where, sizeof where) == nullptr || where[0] != '/')
    return failWith("cwd \"" + cwd + "\" is outside the container's root filesystem; refused", EPERM);
  return ok();
}

namespace {
std::string homeOf(uint32_t uid) {
  std::string passwd;
  if (!sys::readFile("/etc/passwd", passwd)) return "/";
  for (const std::string& line : sys::split(passwd, '\n')) {
    // name:password:uid:gid:gecos:home:shell
    std::vector<std::string> f = sys::split(line, ':');
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
    return failWith(quoted + ": " + errnoText(e == EISDIR ? EACCES : e), e == EISDIR ? EACCES : e);
  }
  std::string dirs = envValue(env, "PATH");
  if (!dirs.empty()) {
    for (std::string dir : sys::split(dirs, ':')) {
      std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
      if (checkExecutable(candidate) == 0) { path = candidate; return ok(); }
    }
  }
  return failWith(quoted + ": executable file not found in $PATH", ENOENT);
}
