/*
 * The pod sandbox's process for the CRI end-to-end test (test/integration/e2e/e2e-cri.test.ts),
 * built static at the test's set-up and packed as the only file of a hand-made "pause" image,
 * since no registry is reachable. It does what a sandbox's init must: hold the pod's namespaces
 * while doing nothing, reap the zombies of a shared PID namespace, and exit 0 at SIGINT/SIGTERM
 * (as PID 1 a signal without a handler would be ignored).
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig) { (void)sig; _exit(0); }

static void on_child(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction stop = {0}, child = {0};
  stop.sa_handler = on_stop;
  child.sa_handler = on_child;
  child.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  if (sigaction(SIGINT, &stop, NULL) != 0 || sigaction(SIGTERM, &stop, NULL) != 0 ||
      sigaction(SIGCHLD, &child, NULL) != 0)
    return 1;
  for (;;) pause();
}
