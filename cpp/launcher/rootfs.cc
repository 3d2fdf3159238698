#include "rootfs.h"

#include <dirent.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cstring>

#include "devices.h"
#include "idmap-mount.h"
#include "log.h"
#include "lsm.h"
#include "procmount.h"

namespace {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

std::string joinPath(const std::vector<std::string>& parts, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; i++) { out += parts[i]; if (i + 1 < count) out += '/'; }
  return out.empty() ? "." : out;
}

constexpr uint64_t kResolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

// Flags a remount must keep: inside a user namespace the kernel refuses to clear locked flags.
unsigned long lockedFlags(const std::string& path) {
  struct statvfs st;
  if (::statvfs(path.c_str(), &st) != 0) return 0;
  unsigned long f = 0;
  if (st.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) f |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

Result remount(const std::string& target, unsigned long flags) {
  if (::mount("", target.c_str(), "", flags | MS_REMOUNT, nullptr) == 0) return ok();
  if (errno != EPERM) return fail("remount", target);
  if (::mount("", target.c_str(), "", flags | MS_REMOUNT | lockedFlags(target), nullptr) == 0) return ok();
  return fail("remount", target);
}

constexpr unsigned long kPropagation = MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE;

struct Hierarchy {
  std::string controllers;  // "cpu,cpuacct", "name=systemd"
  std::string path;         // this process's cgroup in it
};


// cgroup v1 hierarchies of this process, from /proc/self/cgroup: "4:cpu,cpuacct:/path".
std::vector<Hierarchy> cgroupV1Hierarchies() {
  std::vector<Hierarchy> out;
  std::string text;
  if (!sys::readFile("/proc/self/cgroup", text)) return out;
  for (const std::string& line : sys::split(text, '\n')) {
    size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos || b == a + 1) continue;
    out.push_back({line.substr(a + 1, b - a - 1), line.substr(b + 1)});
  }
  // The kernel lists hierarchies newest first; mount them oldest first, as runc does.
  std::reverse(out.begin(), out.end());
  return out;
}

// Where the host mounts the v1 hierarchy with exactly these controllers, from mountinfo's text.
std::string hostHierarchyMount(const std::string& mountinfo, const std::string& controllers) {
  std::vector<std::string> want = sys::split(controllers, ',');
  for (const std::string& line : sys::split(mountinfo, '\n')) {
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::vector<std::string> tail = sys::split(line.substr(dash + 3), ' ');
    if (tail.size() < 3 || tail[0] != "cgroup") continue;
    std::vector<std::string> opts = sys::split(tail[2], ',');
    bool all = true;
    for (const std::string& w : want) {
      bool found = false;
      for (const std::string& o : opts) if (o == w) found = true;
      all = all && found;
    }
    if (all) return sys::split(line, ' ')[4];
  }
  return "";
}

// A cgroup mount on a v1 or hybrid host: a tmpfs holding one mount per hierarchy, laid out as on
// the host. With its own cgroup namespace the container mounts each hierarchy (rooted at its
// namespace); without one it gets a bind of its own cgroup directory in each, as with runc, never
// the host's whole tree. (The hugetlb-only cgroup2 at "unified" is not shown, as with runc 1.1.)
// A cgroup2 the kernel will not mount here: in a user namespace, EPERM without a cgroup namespace of
// its own, EBUSY where the target already is the host's cgroup2 (a rootless /sys bound from the
// host). As runc, a bind instead: of the container's own cgroup when it has a cgroup namespace,
// else of the host's whole tree; with a namespace but no cgroup (a rootless one left out), an
// empty read-only tmpfs, so nothing of the host shows. `bound`: the caller applies the flags.
Result bindCgroup2Instead(const MountPlan& m, const std::string& target, unsigned long flags, bool cgroupns,
                          const std::string& cgroupDir, bool& bound) {
  if (cgroupns && cgroupDir.empty()) {
    if (::mount("tmpfs", target.c_str(), "tmpfs", flags | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=0") != 0)
      return fail("mount tmpfs", m.destination);
    return ok();
  }
  std::string source = cgroupns ? cgroupDir : "/sys/fs/cgroup";
  if (::mount(source.c_str(), target.c_str(), "", MS_BIND, nullptr) != 0) return fail("bind mount", source);
  bound = true;
  return ok();
}

Result mountCgroup(const MountPlan& m, int rootfd, int targetfd, bool cgroupns, const std::string& mountLabel,
                   const std::string& cgroupDir, bool& bound) {
  std::vector<Hierarchy> v1 = cgroupV1Hierarchies();
  unsigned long flags = m.flags & ~kPropagation & ~static_cast<unsigned long>(MS_BIND | MS_REC);
  std::string target = sys::fdPath(targetfd);
  if (m.type == "cgroup2" || v1.empty()) {
    if (::mount("cgroup2", target.c_str(), "cgroup2", flags, nullptr) == 0) return ok();
    if (errno != EPERM && errno != EBUSY) return fail("mount cgroup2", m.destination);
    return bindCgroup2Instead(m, target, flags, cgroupns, cgroupDir, bound);
  }
  // The tmpfs holding the v1 hierarchies is labelled like any tmpfs (runc does too).
  std::string data = "mode=755" + (mountLabel.empty() ? "" : "," + contextMountData(mountLabel));
  if (::mount("tmpfs", target.c_str(), "tmpfs", (flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC, data.c_str()) != 0)
    return fail("mount tmpfs", m.destination);
  // Read once for all hierarchies (ten on a typical v1 host): the binds made below come after the
  // host's mounts in mountinfo, so the first cgroup line of a hierarchy is still the host's.
  std::string mountinfo;
  if (!cgroupns && !sys::readFile("/proc/self/mountinfo", mountinfo)) mountinfo.clear();
  for (const Hierarchy& h : v1) {
    std::string dir = h.controllers.compare(0, 5, "name=") == 0 ? h.controllers.substr(5) : h.controllers;
    std::string where = m.destination + "/" + dir;
    sys::Fd sub;
    TRY(openInRoot(rootfd, where, Create::Directory, sub));
    std::string subPath = sys::fdPath(sub.get());
    if (cgroupns) {
      // The mount's source shows in mountinfo; runc names systemd's hierarchy's "systemd".
      const char* source = h.controllers == "name=systemd" ? "systemd" : "cgroup";
      if (::mount(source, subPath.c_str(), "cgroup", flags, h.controllers.c_str()) != 0) return fail("mount cgroup", where);
    } else {
      std::string host = hostHierarchyMount(mountinfo, h.controllers);
      if (host.empty()) return failWith("mount " + where + ": the host has no mount of the cgroup hierarchy " + h.controllers, ENOENT);
      std::string source = host + (h.path == "/" ? "" : h.path);
      if (::mount(source.c_str(), subPath.c_str(), "", MS_BIND | MS_REC, nullptr) != 0) return fail("bind mount", source);
      sys::Fd bound;
      TRY(openInRoot(rootfd, where, Create::Nothing, bound));
      TRY(remount(sys::fdPath(bound.get()), flags | MS_BIND | MS_REC));
    }
    // cpu,cpuacct is also reachable as cpu and cpuacct, as on the host.
    if (dir.find(',') != std::string::npos) {
      sys::Fd parent;
      TRY(openInRoot(rootfd, m.destination, Create::Nothing, parent));
      for (const std::string& one : sys::split(dir, ',')) {
        if (::symlinkat(dir.c_str(), parent.get(), one.c_str()) != 0 && errno != EEXIST) return fail("symlink", m.destination + "/" + one);
      }
    }
  }
  return ok();
}

// tmpcopyup: what the tmpfs covers is copied into it, so an image's files at that path stay visible.
// Owners, modes and symlinks are kept; device nodes and sockets are not copied (runc does not either).
Result copyTree(int from, int to, const std::string& where) {
  DIR* dir = ::fdopendir(::fcntl(from, F_DUPFD_CLOEXEC, 0));
  if (!dir) return fail("opendir", where);
  Result result;
  while (struct dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string path = where + "/" + name;
    struct stat st;
    if (::fstatat(from, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) { result = fail("stat", path); break; }
    if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(to, name.c_str(), st.st_mode & 07777) != 0 && errno != EEXIST) { result = fail("mkdir", path); break; }
      sys::Fd src(::openat(from, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      sys::Fd dst(::openat(to, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!src.valid() || !dst.valid()) { result = fail("open", path); break; }
      if ((result = copyTree(src.get(), dst.get(), path))) break;
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = ::readlinkat(from, name.c_str(), target.data(), target.size());
      if (n < 0) { result = fail("readlink", path); break; }
      target.resize(static_cast<size_t>(n));
      if (::symlinkat(target.c_str(), to, name.c_str()) != 0) { result = fail("symlink", path); break; }
    } else if (S_ISREG(st.st_mode)) {
      sys::Fd src(::openat(from, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      sys::Fd dst(::openat(to, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 07777));
      if (!src.valid() || !dst.valid()) { result = fail("open", path); break; }
      off_t off = 0;
      while (off < st.st_size) {
        ssize_t n = ::sendfile(dst.get(), src.get(), &off, static_cast<size_t>(st.st_size - off));
        if (n <= 0) break;
      }
      if (off < st.st_size) { result = fail("copy", path); break; }
    } else {
      continue;
    }
    if (::fchownat(to, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) { result = fail("chown", path); break; }
    if (!S_ISLNK(st.st_mode) && ::fchmodat(to, name.c_str(), st.st_mode & 07777, 0) != 0) { result = fail("chmod", path); break; }
  }
  ::closedir(dir);
  return result;
}

Result mountOne(const MountPlan& m, int rootfd, bool cgroupns, const std::string& mountLabel, const ProcfsHandle& proc, int idmappedTree,
                const std::string& cgroupDir) {
  Create kind = Create::Directory;
  if (isBind(m)) {
    struct stat st;
    if (::stat(m.source.c_str(), &st) != 0) return fail("stat", m.source);
    if (!S_ISDIR(st.st_mode)) kind = Create::File;
  }
  sys::Fd target;
  TRY(openInRoot(rootfd, m.destination, kind, target));
  TRY(checkProcMount(m, rootfd, target.get(), proc));
  std::string targetPath = sys::fdPath(target.get());
  unsigned long flags = m.flags & ~kPropagation;
  // Opened before the mount hides it; read after, to fill the new tmpfs.
  sys::Fd covered;
  bool boundInstead = false;
  if (m.tmpcopyup) {
    covered.reset(::open(targetPath.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!covered.valid()) return fail("open", m.destination);
  }

  if (m.type == "cgroup" || m.type == "cgroup2") {
    TRY(mountCgroup(m, rootfd, target.get(), cgroupns, mountLabel, cgroupDir, boundInstead));
  } else if (idmappedTree >= 0) {
    TRY(attachIdmappedMount(idmappedTree, target.get(), m));
  } else if (isBind(m)) {
    if (::mount(m.source.c_str(), targetPath.c_str(), "", MS_BIND | (flags & MS_REC), nullptr) != 0) return fail("mount", m.source);
  } else {
    const char* data = m.data.empty() ? nullptr : m.data.c_str();
    // A read-only tmpfs is filled first and made read-only after.
    unsigned long mountFlags = m.tmpcopyup ? flags & ~static_cast<unsigned long>(MS_RDONLY) : flags;
    if (::mount(m.source.c_str(), targetPath.c_str(), m.type.c_str(), mountFlags, data) != 0) {
      // A user namespace may not mount a sysfs of a network namespace it does not own (rootless,
      // no network namespace of its own): the runtime's /sys is bound instead, made read-only below.
      if (!(m.type == "sysfs" && errno == EPERM)) return fail("mount", m.source);
      if (::mount("/sys", targetPath.c_str(), "", MS_BIND | MS_REC, nullptr) != 0) return fail("bind mount", "/sys");
      boundInstead = true;
    }
  }

  // The fd still names the covered directory; everything below acts on the new mount on top of it.
  sys::Fd mounted;
  TRY(openInRoot(rootfd, m.destination, Create::Nothing, mounted));
  std::string mountedPath = sys::fdPath(mounted.get());
  // mqueue shares its superblock with the IPC namespace's internal mount, so it cannot take a
  // context= option of its own (runc labels its root the same way).
  if (m.type == "mqueue") TRY(labelMountRoot(mountedPath, m.destination, mountLabel));
  if (covered.valid()) {
    sys::Fd top(::open(mountedPath.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!top.valid()) return fail("open", m.destination);
    TRY(inStep(copyTree(covered.get(), top.get(), m.destination), "tmpcopyup " + m.destination));
    if (flags & MS_RDONLY) TRY(remount(mountedPath, flags));
  }
  if ((isBind(m) || boundInstead) && (flags & ~static_cast<unsigned long>(MS_BIND | MS_REC | MS_REMOUNT)) != 0) {
    TRY(remount(mountedPath, flags | MS_BIND));
  }
  for (unsigned long p : m.propagation) {
    if (::mount("", mountedPath.c_str(), "", p, nullptr) != 0) return fail("mount propagation", m.destination);
  }
  if (m.recAttrSet || m.recAttrClr) {
    if (sys::mountSetattr(mounted.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, m.recAttrSet, m.recAttrClr) != 0)
      return fail("mount_setattr", m.destination);
  }
  return ok();
}

bool pathExists(const char* path) {
  struct stat st;
  return ::lstat(path, &st) == 0;
}

}  // namespace

namespace {
// openInRoot without symlinks: each prefix is opened with openat2 RESOLVE_IN_ROOT|
// RESOLVE_NO_SYMLINKS, so a symlink anywhere (the last component included) is ELOOP, never followed.
Result openInRootNoSymlinks(int rootfd, const std::string& path, Create create, sys::Fd& out) {
  constexpr uint64_t kStrict = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  std::vector<std::string> parts = splitPath(path);
  sys::Fd cur(::fcntl(rootfd, F_DUPFD_CLOEXEC, 0));
  if (!cur.valid()) return fail("dup", path);
  for (size_t i = 0; i < parts.size(); i++) {
    bool last = i + 1 == parts.size();
    std::string prefix = joinPath(parts, i + 1);
    sys::Fd next(sys::openat2(rootfd, prefix.c_str(), O_PATH | O_CLOEXEC | (last ? 0 : O_DIRECTORY), kStrict));
    if (!next.valid() && errno == ENOENT && create != Create::Nothing) {
      // Made in the directory already opened, by name: mkdirat and O_CREAT|O_NOFOLLOW never follow.
      if (last && create == Create::File) {
        int f = ::openat(cur.get(), parts[i].c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (f < 0 && errno != EEXIST) return fail("create", "/" + prefix);
        if (f >= 0) ::close(f);
      } else if (::mkdirat(cur.get(), parts[i].c_str(), 0755) != 0 && errno != EEXIST) {
        return fail("mkdir", "/" + prefix);
      }
      next.reset(sys::openat2(rootfd, prefix.c_str(), O_PATH | O_CLOEXEC | (last ? 0 : O_DIRECTORY), kStrict));
    }
    if (!next.valid() && errno == ELOOP)
      return failWith("/" + prefix + " in the container is a symlink: refused, it must not be followed there", ELOOP);
    if (!next.valid()) return fail("open", "/" + prefix);
    cur = std::move(next);
  }
  out = std::move(cur);
  return ok();
}
}  // namespace

Result openInRoot(int rootfd, const std::string& path, Create create, sys::Fd& out, Symlinks symlinks) {
  if (symlinks == Symlinks::Refuse) return openInRootNoSymlinks(rootfd, path, create, out);
  // Walks one component at a time with O_NOFOLLOW, following symlinks by hand: an absolute link
  // restarts from rootfd and ".." never climbs above it, so the walk cannot leave the rootfs.
  // Missing components are created where they resolve, including the targets of dangling links.
  std::vector<std::string> pending = splitPath(path);
  std::vector<std::string> walked;  // components below rootfd, for re-resolving ".."
  sys::Fd cur(::fcntl(rootfd, F_DUPFD_CLOEXEC, 0));
  if (!cur.valid()) return fail("dup", path);
  int links = 0;
  while (!pending.empty()) {
    std::string name = pending.front();
    pending.erase(pending.begin());
    bool last = pending.empty();
    std::string shown = "/" + joinPath(walked, walked.size()) + (walked.empty() ? "" : "/") + name;
    if (name == ".") continue;
    if (name == "..") {
      if (!walked.empty()) walked.pop_back();
      cur.reset(sys::openat2(rootfd, joinPath(walked, walked.size()).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, kResolve));
      if (!cur.valid()) return fail("open", shown);
      continue;
    }
    struct stat st;
    if (::fstatat(cur.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT || create == Create::Nothing) return fail("open", shown);
      if (last && create == Create::File) {
        int f = ::openat(cur.get(), name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (f < 0 && errno != EEXIST) return fail("create", shown);
        if (f >= 0) ::close(f);
      } else if (::mkdirat(cur.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
        return fail("mkdir", shown);
      }
      if (::fstatat(cur.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return fail("open", shown);
    }
    if (S_ISLNK(st.st_mode)) {
      if (++links > 40) return fail("open", shown, ELOOP);
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = ::readlinkat(cur.get(), name.c_str(), target.data(), target.size());
      if (n < 0) return fail("readlink", shown);
      target.resize(static_cast<size_t>(n));
      std::vector<std::string> parts = splitPath(target);
      pending.insert(pending.begin(), parts.begin(), parts.end());
      if (!target.empty() && target[0] == '/') {
        walked.clear();
        cur.reset(::fcntl(rootfd, F_DUPFD_CLOEXEC, 0));
        if (!cur.valid()) return fail("dup", shown);
      }
      continue;
    }
    if (!last && !S_ISDIR(st.st_mode)) return fail("open", shown, ENOTDIR);
    sys::Fd next(::openat(cur.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) return fail("open", shown);
    cur = std::move(next);
    walked.push_back(name);
  }
  out = std::move(cur);
  return ok();
}

namespace {
// The mount point that holds `path`, and whether it is shared, from /proc/self/mountinfo.
bool parentMount(const std::string& path, std::string& mountPoint, bool& shared) {
  std::string text;
  if (!sys::readFile("/proc/self/mountinfo", text)) return false;
  size_t best = 0;
  for (const std::string& line : sys::split(text, '\n')) {
    // id parent major:minor root mount-point options optional-fields... - type source super-options
    std::vector<std::string> f = sys::split(line, ' ');
    if (f.size() < 7) continue;
    const std::string& mp = f[4];  // octal escapes (\040) are rare in rootfs paths; such a mount just never matches
    bool covers = mp == "/" || path == mp || (path.compare(0, mp.size(), mp) == 0 && path[mp.size()] == '/');
    if (!covers || mp.size() < best) continue;
    best = mp.size();
    mountPoint = mp;
    shared = false;
    for (size_t k = 6; k < f.size() && f[k] != "-"; k++) if (f[k].compare(0, 7, "shared:") == 0) shared = true;
  }
  return best > 0;
}
}  // namespace

Result prepareRoot(const Plan& plan) {
  unsigned long prop = plan.rootPropagation ? plan.rootPropagation : (MS_SLAVE | MS_REC);
  // Unbindable belongs to the container's "/" (set after pivot_root, in finalizeRoot): on the
  // namespace's tree now it would forbid the very binds that build the root.
  if (prop & MS_UNBINDABLE) prop = MS_PRIVATE | (prop & MS_REC);
  if (::mount("", "/", "", prop, nullptr) != 0) return inStep(fail("mount propagation", "/"), "prepare rootfs");
  // pivot_root refuses a new root whose parent mount is shared (the bundle on a shared mount, or
  // rootfsPropagation "shared"): that one mount, in this namespace only, stops being shared. A
  // slave one for rootfsPropagation slave, so host mounts still reach the container (as runc);
  // private otherwise.
  std::string mountPoint;
  bool shared = false;
  unsigned long parentProp = (plan.rootPropagation & MS_SLAVE) ? MS_SLAVE : MS_PRIVATE;
  if (parentMount(plan.rootfs, mountPoint, shared) && shared &&
      ::mount("", mountPoint.c_str(), "", parentProp, nullptr) != 0)
    return inStep(fail("mount propagation", mountPoint), "prepare rootfs");
  if (::mount(plan.rootfs.c_str(), plan.rootfs.c_str(), "", MS_BIND | MS_REC, nullptr) != 0)
    return inStep(fail("bind mount rootfs", plan.rootfs), "prepare rootfs");
  return ok();
}

Result mountAll(const Plan& plan, int rootfd, const ProcfsHandle& proc, std::vector<sys::Fd>& idmappedTrees) {
  for (size_t i = 0; i < plan.mounts.size(); i++) {
    const MountPlan& m = plan.mounts[i];
    debugLog("mount " + m.type + " " + m.source + " on " + m.destination);
    sys::Fd tree = i < idmappedTrees.size() ? std::move(idmappedTrees[i]) : sys::Fd();
    TRY(inStep(mountOne(m, rootfd, newNamespace(plan, "cgroup"), plan.mountLabel, proc, tree.get(), plan.cgroup.intoCgroup), "mount " + m.destination));
  }
  return ok();
}

Result setupDev(const Plan& plan, int rootfd) {
  if (!plan.setupDev) return ok();
  TRY(makeDevices(plan, rootfd));

  sys::Fd dev;
  TRY(inStep(openInRoot(rootfd, "/dev", Create::Directory, dev, Symlinks::Refuse), "set up /dev"));
  std::vector<std::pair<const char*, const char*>> links = {
      {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}};
  if (pathExists("/proc/kcore")) links.emplace_back("/proc/kcore", "core");
  for (const auto& l : links) {
    if (::symlinkat(l.first, dev.get(), l.second) != 0 && errno != EEXIST) return inStep(fail("symlink", std::string("/dev/") + l.second), "set up /dev");
  }
  // /dev/ptmx must be the one of the container's devpts instance, not the host's.
  ::unlinkat(dev.get(), "ptmx", 0);
  if (::symlinkat("pts/ptmx", dev.get(), "ptmx") != 0) return inStep(fail("symlink", "/dev/ptmx"), "set up /dev");
  return ok();
}

// rootfsPropagation is about the container's "/", which only exists once the root is entered.
// Unbindable waits for the end of finalizeRoot: read-only paths are binds of the root's own mounts.
Result applyRootPropagation(const Plan& plan, bool last = false) {
  if (!plan.rootPropagation || ((plan.rootPropagation & MS_UNBINDABLE) != 0) != last) return ok();
  if (::mount("", "/", "", plan.rootPropagation, nullptr) != 0) return inStep(fail("mount propagation", "/"), "rootfs propagation");
  return ok();
}

Result enterRoot(const Plan& plan, int rootfd) {
  if (::fchdir(rootfd) != 0) return inStep(fail("chdir", plan.rootfs), "enter rootfs");
  if (!ownMountTable(plan)) {
    // The runtime's mount table: pivot_root or MS_MOVE would change it for everyone.
    if (::chroot(".") != 0) return inStep(fail("chroot", plan.rootfs), "enter rootfs");
    if (::chdir("/") != 0) return inStep(fail("chdir", "/"), "enter rootfs");
    return ok();
  }
  if (plan.noPivot) {
    if (::mount(plan.rootfs.c_str(), "/", "", MS_MOVE, nullptr) != 0) return inStep(fail("mount move", plan.rootfs), "enter rootfs");
    if (::chroot(".") != 0) return inStep(fail("chroot", plan.rootfs), "enter rootfs");
    if (::chdir("/") != 0) return inStep(fail("chdir", "/"), "enter rootfs");
    return applyRootPropagation(plan);
  }
  sys::Fd oldRoot(::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!oldRoot.valid()) return inStep(fail("open", "/"), "pivot_root");
  // pivot_root(".", ".") stacks the old root on top of the new one; it is then detached below.
  if (sys::pivotRoot(".", ".") != 0) return inStep(fail("pivot_root", plan.rootfs), "pivot_root");
  if (::fchdir(oldRoot.get()) != 0) return inStep(fail("chdir", "old root"), "pivot_root");
  if (::mount("", ".", "", MS_SLAVE | MS_REC, nullptr) != 0) return inStep(fail("mount propagation", "old root"), "pivot_root");
  if (::umount2(".", MNT_DETACH) != 0) return inStep(fail("umount", "old root"), "pivot_root");
  if (::chdir("/") != 0) return inStep(fail("chdir", "/"), "pivot_root");
  return applyRootPropagation(plan);
}

Result finalizeRoot(const Plan& plan, MaskSources& masks) {
  for (const std::string& p : plan.readonlyPaths) {
    if (::mount(p.c_str(), p.c_str(), "", MS_BIND | MS_REC, nullptr) != 0) {
      if (errno == ENOENT) continue;
      return inStep(fail("bind mount", p), "readonly path " + p);
    }
    // The bind copies the flags of the mount it comes from (proc's nosuid,nodev,noexec); a
    // remount without them would clear them.
    unsigned long kept = lockedFlags(p) & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
    TRY(inStep(remount(p, MS_BIND | MS_REC | MS_RDONLY | kept), "readonly path " + p));
  }

  TRY(maskPaths(plan, masks));

  if (plan.readonlyRoot) TRY(inStep(remount("/", MS_BIND | MS_RDONLY), "readonly rootfs"));
  return applyRootPropagation(plan, true);
}
