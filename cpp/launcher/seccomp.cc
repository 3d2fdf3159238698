#include "seccomp.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "../common/fdpass.h"
#include "log.h"
#include "sys.h"

namespace {

// libseccomp's context, released on every path.
class Filter {
 public:
  explicit Filter(uint32_t defaultAction) : ctx_(seccomp_init(defaultAction)) {}
  ~Filter() { if (ctx_) seccomp_release(ctx_); }
  Filter(const Filter&) = delete;
  Filter& operator=(const Filter&) = delete;
  scmp_filter_ctx get() const { return ctx_; }

 private:
  scmp_filter_ctx ctx_;
};

std::string libseccompVersion() {
  const scmp_version* v = seccomp_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

Result seccompError(const std::string& what, int rc) {
  return failWith("seccomp: " + what + ": " + errnoText(-rc), -rc);
}

Result addRule(scmp_filter_ctx ctx, const SeccompRule& rule) {
  std::vector<scmp_arg_cmp> conds;
  for (const SeccompCondition& c : rule.args) {
    conds.push_back({c.index, static_cast<scmp_compare>(c.op), c.value, c.valueTwo});
  }
  for (const std::string& name : rule.names) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) {
      // A newer profile on an older libseccomp or kernel: the syscall cannot be called here
      // anyway, so its rule is moot (runc does the same).
      debugLog("unknown seccomp syscall \"" + name + "\" ignored");
      continue;
    }
    int rc = seccomp_rule_add_array(ctx, rule.action, nr, static_cast<unsigned>(conds.size()), conds.empty() ? nullptr : conds.data());
    if (rc < 0) return seccompError("adding the rule for syscall " + name, rc);
  }
  return ok();
}

Result exportProgram(scmp_filter_ctx ctx, std::vector<sock_filter>& code) {
  sys::Fd mem(::memfd_create("tsrunc-seccomp", MFD_CLOEXEC));
  if (!mem.valid()) return fail("memfd_create", "seccomp filter");
  if (int rc = seccomp_export_bpf(ctx, mem.get()); rc < 0) return seccompError("exporting the filter", rc);
  off_t size = ::lseek(mem.get(), 0, SEEK_END);
  if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0) return failWith("seccomp: libseccomp exported an empty or truncated filter", EINVAL);
  code.resize(static_cast<size_t>(size) / sizeof(sock_filter));
  if (::pread(mem.get(), code.data(), static_cast<size_t>(size), 0) != size) return fail("read", "seccomp filter");
  return ok();
}

}  // namespace


namespace {

constexpr size_t kCacheEntries = 32;

// "tsrunc-seccomp 1 <libseccomp version> <length of the canonical JSON>\n<canonical JSON><program>"
// The filter's identity in the cache: what libseccomp compiles (not the flags, the cache
// directory or the listener), written by the generated serialiser.
std::string canonicalFilter(const SeccompPlan& plan) {
  json::Value full = toJson(plan);
  json::Value key = json::Value::object();
  for (const char* field : {"defaultAction", "architectures", "rules"}) key.set(field, full[field]);
  return key.dump();
}

std::string cacheHeader(const SeccompPlan& plan) {
  std::string canonical = canonicalFilter(plan);
  return "tsrunc-seccomp 1 " + libseccompVersion() + " " + std::to_string(canonical.size()) + "\n" + canonical;
}

std::string cachePath(const SeccompPlan& plan) {
  uint64_t h = 14695981039346656037ULL;  // FNV-1a: only picks the file name
  for (unsigned char c : canonicalFilter(plan)) { h ^= c; h *= 1099511628211ULL; }
  char name[40];
  std::snprintf(name, sizeof name, "seccomp-%016llx.bpf", static_cast<unsigned long long>(h));
  return plan.cacheDir + "/" + name;
}

bool readCachedProgram(const SeccompPlan& plan, std::vector<sock_filter>& code) {
  sys::Fd fd(::open(cachePath(plan).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return false;
  std::string data;
  char buf[16384];
  ssize_t n;
  while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) data.append(buf, static_cast<size_t>(n));
  std::string header = cacheHeader(plan);
  if (n < 0 || data.compare(0, header.size(), header) != 0) return false;
  size_t size = data.size() - header.size();
  if (size == 0 || size % sizeof(sock_filter) != 0) return false;
  code.resize(size / sizeof(sock_filter));
  std::memcpy(code.data(), data.data() + header.size(), size);
  return true;
}

// Keeps the newest kCacheEntries programs.
void evictOldPrograms(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  std::vector<std::pair<int64_t, std::string>> entries;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.compare(0, 8, "seccomp-") != 0 || name.size() < 12 || name.compare(name.size() - 4, 4, ".bpf") != 0) continue;
    struct stat st;
    if (::fstatat(::dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
      entries.emplace_back(static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec, name);
  }
  if (entries.size() > kCacheEntries) {
    std::sort(entries.begin(), entries.end());
    for (size_t i = 0; i + kCacheEntries < entries.size(); i++) ::unlinkat(::dirfd(d), entries[i].second.c_str(), 0);
  }
  ::closedir(d);
}

// Best effort: a cache that cannot be written only costs the next create a compile.
// The cache's directory, <root>/.cache/seccomp, made on first use; only its last two parts are
// the launcher's to make (the state root is the CLI's).
bool makeCacheDir(const std::string& dir) {
  std::string parent = dir.substr(0, dir.rfind('/'));
  for (const std::string& d : {parent, dir})
    if (::mkdir(d.c_str(), 0700) != 0 && errno != EEXIST) return false;
  return true;
}

void cacheProgram(const SeccompPlan& plan, const std::vector<sock_filter>& code) {
  if (!makeCacheDir(plan.cacheDir)) {
    debugLog("seccomp filter not cached: " + plan.cacheDir + ": " + errnoText(errno));
    return;
  }
  std::string path = cachePath(plan);
  std::string tmp = path + ".tmp" + std::to_string(::getpid());
  std::string data = cacheHeader(plan);
  data.append(reinterpret_cast<const char*>(code.data()), code.size() * sizeof(sock_filter));
  sys::Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  bool written = fd.valid() && ::write(fd.get(), data.data(), data.size()) == static_cast<ssize_t>(data.size());
  fd.reset();
  // rename() makes the entry appear whole or not at all; a crash leaves at most a .tmp file.
  if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) {
    debugLog("seccomp filter not cached: " + errnoText(errno));
    ::unlink(tmp.c_str());
    return;
  }
  evictOldPrograms(plan.cacheDir);
}

Result buildProgram(const SeccompPlan& plan, SeccompProgram& out) {
  Filter filter(plan.defaultAction);
  if (!filter.get()) return failWith("seccomp: libseccomp refused the default action", EINVAL);
  // The init loads the program itself, with its own flags; libseccomp only compiles.
  seccomp_attr_set(filter.get(), SCMP_FLTATR_CTL_NNP, 0);
  // A binary tree of syscall numbers instead of a linear list: long profiles (Docker's default
  // has over 300 syscalls) then cost a few comparisons per call rather than hundreds.
  if (plan.rules.size() > 32) seccomp_attr_set(filter.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  for (const std::string& name : plan.architectures) {
    uint32_t arch = seccomp_arch_resolve_name(name.c_str());
    if (arch == 0) {
      std::string configName = "SCMP_ARCH_" + name;
      for (char& ch : configName) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      return failWith("seccomp: architecture " + configName + " is not known to this build's libseccomp", EINVAL);
    }
    int rc = seccomp_arch_add(filter.get(), arch);
    if (rc < 0 && rc != -EEXIST) return seccompError("adding architecture " + name, rc);
  }
  for (const SeccompRule& rule : plan.rules) TRY(addRule(filter.get(), rule));
  return exportProgram(filter.get(), out.code);
}

}  // namespace

Result compileSeccomp(const std::optional<SeccompPlan>& wanted, SeccompProgram& out) {
  if (!wanted) return ok();
  const SeccompPlan& plan = *wanted;
  timespec t0, t1;
  ::clock_gettime(CLOCK_MONOTONIC, &t0);
  bool cached = !plan.cacheDir.empty() && readCachedProgram(plan, out.code);
  if (!cached) {
    TRY(buildProgram(plan, out));
    if (!plan.cacheDir.empty()) cacheProgram(plan, out.code);
  }
  ::clock_gettime(CLOCK_MONOTONIC, &t1);
  long us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
  out.flags = plan.flags;
  // A notifying filter with TSYNC needs TSYNC_ESRCH, or the kernel refuses the pair.
  if ((out.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) && (out.flags & SECCOMP_FILTER_FLAG_TSYNC)) out.flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  // The kernel checks the flags before it reads the program: with no program, EFAULT means it
  // accepts them. Asked now, so a flag this kernel lacks fails create rather than start.
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, out.flags, nullptr) == 0 || errno != EFAULT)
    return failWith("seccomp: this kernel does not accept the filter flags " + std::to_string(out.flags) + ": " + errnoText(errno), errno);
  debugLog("seccomp filter: " + std::to_string(out.code.size()) + " instructions, flags " + std::to_string(out.flags) + ", " +
           (cached ? "read from the cache" : "compiled") + " in " + std::to_string(us) + " us");
  return ok();
}

Result loadSeccomp(const SeccompProgram& program, int& notifyFd) {
  notifyFd = -1;
  if (program.empty()) return ok();
  sock_fprog prog{static_cast<unsigned short>(program.code.size()), const_cast<sock_filter*>(program.code.data())};
  long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, program.flags, &prog);
  if (rc < 0) {
    int e = errno;
    if (e == EINVAL) return failWith("seccomp: the kernel refused the filter or its flags (" + std::to_string(program.flags) + "): " + errnoText(e), e);
    return inStep(fail("seccomp", "", e), "load seccomp filter");
  }
  if (program.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) notifyFd = static_cast<int>(rc);
  return ok();
}

Result sendToListener(const SeccompListenerPlan& listener, int notifyFd, pid_t initPid) {
  const std::string step = "send seccomp notify fd to " + listener.path;
  int err = 0;
  sys::Fd sock(fdpass::connectUnix(listener.path, err));
  if (!sock.valid() && err == ENAMETOOLONG) return failWith(step + ": the listener path is too long for a unix socket", ENAMETOOLONG);
  if (!sock.valid())
    return failWith("failed to connect with seccomp agent specified in the seccomp profile: dial unix " + listener.path + ": connect: " + errnoText(err), err);

  json::Value msg = listener.message;
  json::Value state = msg["state"];
  state.set("pid", json::Value::number(initPid));
  msg.set("pid", json::Value::number(initPid));
  msg.set("state", state);
  std::string text = msg.dump();

  ssize_t n = fdpass::sendWithFd(sock.get(), text, notifyFd);
  if (n < 0) return inStep(fail("sendmsg", listener.path), step);
  return ok();
}

json::Value seccompFeatures() {
  static const char* const archs[] = {"x86", "x86_64", "x32", "arm", "aarch64", "loongarch64", "m68k", "mips", "mips64",
                                      "mips64n32", "mipsel", "mipsel64", "mipsel64n32", "ppc", "ppc64", "ppc64le",
                                      "riscv64", "s390", "s390x", "parisc", "parisc64", "sh", "sheb"};
  json::Value known = json::Value::array();
  for (const char* a : archs) if (seccomp_arch_resolve_name(a) != 0) known.push(json::Value::string(a));
  json::Value out = json::Value::object();
  out.set("libseccomp", json::Value::string(libseccompVersion()));
  out.set("archs", known);
  return out;
}
