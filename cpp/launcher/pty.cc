#include "pty.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "../common/fdpass.h"
#include "rootfs.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

namespace {

constexpr unsigned long kDevptsMagic = 0x1cd1;  // DEVPTS_SUPER_MAGIC

// The multiplexer of the container's own devpts instance: the ptmx inside the devpts mounted on
// the container's /dev/pts, reached with no symlink followed (the /dev/ptmx link an image or a
// /dev bind supplies is not used, nor is it by current runc), and checked by what the kernel reports.
Result openContainerPtmx(sys::Fd& master) {
  sys::Fd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return fail("open", "/");
  sys::Fd pts;
  TRY(openInRoot(root.get(), "/dev/pts", Create::Nothing, pts, Symlinks::Refuse));
  struct statfs fs;
  if (::fstatfs(pts.get(), &fs) != 0) return fail("statfs", "/dev/pts");
  if (static_cast<unsigned long>(fs.f_type) != kDevptsMagic)
    return failWith("/dev/pts in the container is not a devpts mount (filesystem magic " + std::to_string(fs.f_type) + "): no terminal can be allocated there", ENODEV);
  struct stat ptsSt;
  if (::fstat(pts.get(), &ptsSt) != 0) return fail("stat", "/dev/pts");
  master.reset(sys::openat2(pts.get(), "ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV));
  if (!master.valid()) return fail("open", "/dev/pts/ptmx");
  struct stat st;
  if (::fstat(master.get(), &st) != 0 || ::fstatfs(master.get(), &fs) != 0) return fail("stat", "/dev/pts/ptmx");
  // Same superblock as the /dev/pts directory: this container's instance, not one bound in.
  if (static_cast<unsigned long>(fs.f_type) != kDevptsMagic || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(5, 2) || st.st_dev != ptsSt.st_dev)
    return failWith("/dev/pts/ptmx in the container is not the multiplexer of its devpts instance", ENODEV);
  return ok();
}

}  // namespace

Result openPty(const ConsolePlan& plan, Pty& out) {
  const std::string step = "set up the console";
  TRY(inStep(openContainerPtmx(out.master), step));
  int unlock = 0;
  if (::ioctl(out.master.get(), TIOCSPTLCK, &unlock) != 0) return inStep(fail("ioctl TIOCSPTLCK", "/dev/pts/ptmx"), step);
  unsigned n = 0;
  if (::ioctl(out.master.get(), TIOCGPTN, &n) != 0) return inStep(fail("ioctl TIOCGPTN", "/dev/pts/ptmx"), step);
  out.slaveName = "/dev/pts/" + std::to_string(n);
  // From the master itself, never by name (the launcher needs 5.6+ anyway; TIOCGPTPEER is 4.13).
  out.slave.reset(::ioctl(out.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!out.slave.valid()) return inStep(fail("ioctl TIOCGPTPEER", out.slaveName), step);
  if (plan.clearOnlcr) {
    struct termios t;
    if (::tcgetattr(out.master.get(), &t) != 0) return inStep(fail("tcgetattr", "/dev/ptmx"), step);
    t.c_oflag &= ~static_cast<tcflag_t>(ONLCR);
    if (::tcsetattr(out.master.get(), TCSANOW, &t) != 0) return inStep(fail("tcsetattr", "/dev/ptmx"), step);
  }
  if (plan.rows > 0 || plan.cols > 0) {
    struct winsize ws{};
    ws.ws_row = static_cast<unsigned short>(plan.rows);
    ws.ws_col = static_cast<unsigned short>(plan.cols);
    if (::ioctl(out.master.get(), TIOCSWINSZ, &ws) != 0) return inStep(fail("ioctl TIOCSWINSZ", "/dev/ptmx"), step);
  }
  return ok();
}

Result bindPtyOnConsole(const Pty& pty) {
  const std::string step = "set up /dev/console";
  sys::Fd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return inStep(fail("open", "/"), step);
  sys::Fd dev;
  TRY(inStep(openInRoot(root.get(), "/dev", Create::Nothing, dev, Symlinks::Refuse), step));
  sys::Fd made(::openat(dev.get(), "console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666));
  if (made.valid()) {
    // The mode is exact whatever the umask, as runc leaves it.
    if (::fchmod(made.get(), 0666) != 0) return inStep(fail("chmod", "/dev/console"), step);
  } else if (errno == EEXIST) {
    // Anything but a directory or a symlink (a node an image ships, say) is covered by the bind.
    struct stat st;
    if (::fstatat(dev.get(), "console", &st, AT_SYMLINK_NOFOLLOW) != 0) return inStep(fail("stat", "/dev/console"), step);
    if (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode))
      return inStep(failWith(std::string("/dev/console in the container is a ") + (S_ISDIR(st.st_mode) ? "directory" : "symlink") + ": the terminal cannot be bound there", EEXIST), step);
  } else {
    return inStep(fail("create", "/dev/console"), step);
  }
  sys::Fd target(::openat(dev.get(), "console", O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!target.valid()) return inStep(fail("open", "/dev/console"), step);
  sys::Fd tree(sys::openTree(pty.slave.get(), "", OPEN_TREE_CLONE | AT_EMPTY_PATH | O_CLOEXEC));
  if (!tree.valid()) return inStep(fail("open_tree", pty.slaveName), step);
  if (sys::moveMount(tree.get(), "", target.get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
    return inStep(fail("move_mount", "/dev/console"), step);
  return ok();
}

Result attachPtySlave(const Pty& pty, uid_t uid) {
  const std::string step = "set up the console";
  const sys::Fd& slave = pty.slave;
  // Only the owner: the group stays the one devpts gave (its gid= option, tty), as runc leaves it.
  if (::fchown(slave.get(), uid, static_cast<gid_t>(-1)) != 0) return inStep(fail("fchown", pty.slaveName), step);
  for (int fd = 0; fd < 3; fd++) {
    if (::dup2(slave.get(), fd) < 0) return inStep(fail("dup2", pty.slaveName), step);
  }
  if (::ioctl(0, TIOCSCTTY, 0) != 0) return inStep(fail("ioctl TIOCSCTTY", pty.slaveName), step);
  return ok();
}

Result sendConsole(const ConsolePlan& plan, int master, const std::string& name) {
  int err = 0;
  sys::Fd sock(fdpass::connectUnix(plan.socketPath, err));
  if (!sock.valid()) return inStep(fail("connect", plan.socketPath, err), "send the console to --console-socket");
  if (fdpass::sendWithFd(sock.get(), name, master) < 0) return inStep(fail("sendmsg", plan.socketPath), "send the console to --console-socket");
  return ok();
}
