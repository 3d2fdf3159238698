// The container's terminal (process.terminal): a pty allocated from the container's own devpts,
// its slave made the process's stdio and controlling terminal, its master handed to whoever
// listens on --console-socket (containerd's shim, conmon, or tsrunc itself in the foreground),
// as runc does: one message whose data is the master's file name ("/dev/ptmx") and whose SCM_RIGHTS
// carries the master.
#pragma once
#include <string>

#include "../common/generated/contract.h"
#include "failure.h"
#include "sys.h"

struct Pty {
  sys::Fd master;
  sys::Fd slave;          // opened from the master (TIOCGPTPEER), never looked up by name
  std::string slaveName;  // /dev/pts/N inside the container, for messages
};

// Opens the ptmx of the devpts on /dev/pts of the calling process's root (the container's, after
// pivot_root or setns), checked to be that instance's multiplexer, and unlocks the slave, which is
// taken from the master (TIOCGPTPEER). The size is set on the master, so it holds from the first read.
Result openPty(const ConsolePlan& plan, Pty& out);

// The init's terminal is also /dev/console (config-linux.md § Default Devices), as with runc: the
// slave is bound onto /dev/console of the container's root (an empty regular file of mode 0666
// made there when nothing is), before the read-only and masked paths. Mounted from fd to fd, so
// no path outside the container is ever resolved. An exec'd process gets none.
Result bindPtyOnConsole(const Pty& pty);

// In the process: the session is new (setsid); the slave becomes fds 0-2 and the controlling
// terminal, owned by the process's user so it can reopen /dev/tty. Its group stays the one devpts
// gave it (the config's gid=5, tty), as runc leaves it: write(1) and wall rely on that group.
Result attachPtySlave(const Pty& pty, uid_t uid);

// In the launcher: connects to the console socket and sends the master.
Result sendConsole(const ConsolePlan& plan, int master, const std::string& name);
