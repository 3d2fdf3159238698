#include "pty.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

Result openPty(const ConsolePlan& plan, Pty& out) {
  const std::string step = "set up the console";
  // /dev/ptmx links to pts/ptmx in the container's /dev: a pty of the container's own devpts.
  out.master.reset(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!out.master.valid()) return inStep(fail("open", "/dev/ptmx"), step);
  int unlock = 0;
  if (::ioctl(out.master.get(), TIOCSPTLCK, &unlock) != 0) return inStep(fail("ioctl TIOCSPTLCK", "/dev/ptmx"), step);
  unsigned n = 0;
  if (::ioctl(out.master.get(), TIOCGPTN, &n) != 0) return inStep(fail("ioctl TIOCGPTN", "/dev/ptmx"), step);
  out.slaveName = "/dev/pts/" + std::to_string(n);
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

Result attachPtySlave(const Pty& pty, uid_t uid) {
  const std::string step = "set up the console";
  sys::Fd slave(::open(pty.slaveName.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave.valid()) return inStep(fail("open", pty.slaveName), step);
  if (::fchown(slave.get(), uid, static_cast<gid_t>(-1)) != 0) return inStep(fail("fchown", pty.slaveName), step);
  for (int fd = 0; fd < 3; fd++) {
    if (::dup2(slave.get(), fd) < 0) return inStep(fail("dup2", pty.slaveName), step);
  }
  if (::ioctl(0, TIOCSCTTY, 0) != 0) return inStep(fail("ioctl TIOCSCTTY", pty.slaveName), step);
  return ok();
}

Result sendConsole(const ConsolePlan& plan, int master, const std::string& name) {
  int err = 0;
  sys::Fd sock(sys::connectUnix(plan.socketPath, err));
  if (!sock.valid()) return inStep(fail("connect", plan.socketPath, err), "send the console to --console-socket");
  if (sys::sendWithFd(sock.get(), name, master) < 0) return inStep(fail("sendmsg", plan.socketPath), "send the console to --console-socket");
  return ok();
}
