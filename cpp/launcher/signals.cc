#include "signals.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

void resetReservedSignals() {
  // glibc's sigaction refuses these numbers (EINVAL), so the kernel is asked directly. An
  // all-zero kernel sigaction is SIG_DFL with no flags and an empty mask, whatever the
  // architecture's field order.
  unsigned long dfl[8] = {};
  for (int sig = 32; sig < SIGRTMIN; ++sig) ::syscall(SYS_rt_sigaction, sig, dfl, nullptr, _NSIG / 8);
}
