// Thin wrappers for the system calls glibc 2.36 does not wrap, and small fd helpers.
#pragma once
#include <fcntl.h>
#include <linux/types.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#ifndef RESOLVE_NO_MAGICLINKS
#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#ifndef NS_GET_NSTYPE
#define NS_GET_NSTYPE 0xb703
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace sys {

struct OpenHow {
  uint64_t flags, mode, resolve;
};

inline int openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve, uint64_t mode = 0) {
  OpenHow how{flags, mode, resolve};
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

struct MountAttr {
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};

inline int mountSetattr(int dirfd, const char* path, unsigned flags, uint64_t set, uint64_t clr) {
  MountAttr attr{set, clr, 0, 0};
  return static_cast<int>(::syscall(SYS_mount_setattr, dirfd, path, flags, &attr, sizeof attr));
}

inline int openTree(int dirfd, const char* path, unsigned flags) { return static_cast<int>(::syscall(SYS_open_tree, dirfd, path, flags)); }

inline int moveMount(int fromfd, const char* from, int tofd, const char* to, unsigned flags) {
  return static_cast<int>(::syscall(SYS_move_mount, fromfd, from, tofd, to, flags));
}

inline int pivotRoot(const char* newRoot, const char* putOld) { return static_cast<int>(::syscall(SYS_pivot_root, newRoot, putOld)); }

inline int pidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

inline int pidfdSendSignal(int pidfd, int sig) { return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0)); }

inline int closeRange(unsigned first, unsigned last, unsigned flags) { return static_cast<int>(::syscall(SYS_close_range, first, last, flags)); }

// Closes on destruction; the launcher's many short-lived fds stay leak-free on every error path.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept { reset(o.release()); return *this; }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { int f = fd_; fd_ = -1; return f; }
  void reset(int fd = -1) { if (fd_ >= 0) ::close(fd_); fd_ = fd; }

 private:
  int fd_ = -1;
};

inline std::string fdPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

bool writeFile(const std::string& path, const std::string& data, int& err);
// Every field between separators, empty ones included ("a::b" on ':' gives "a", "", "b").
std::vector<std::string> split(const std::string& text, char sep);
bool readFile(const std::string& path, std::string& out);
// Sorted CPU or node numbers in the kernel's list form ("0-3,7"), for messages.
std::string listText(const std::vector<int>& sorted);

}  // namespace sys
