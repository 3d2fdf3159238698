#include "hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

#include "log.h"
#include "sys.h"

namespace {

Result runOne(const HookPlan& h, const std::string& name, const std::string& input) {
  int fds[2], errPipe[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return inStep(fail("pipe"), name);
  if (::pipe2(errPipe, O_CLOEXEC) != 0) { ::close(fds[0]); ::close(fds[1]); return inStep(fail("pipe"), name); }
  pid_t child = ::fork();
  if (child < 0) { ::close(fds[0]); ::close(fds[1]); ::close(errPipe[0]); ::close(errPipe[1]); return inStep(fail("fork"), name); }
  if (child == 0) {
    ::dup2(fds[0], 0);
    int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) ::dup2(null, 1);
    ::dup2(errPipe[1], 2);
    sys::closeRange(3, ~0U, 0);
    std::vector<char*> argv, envp;
    for (const auto& a : h.args) argv.push_back(const_cast<char*>(a.c_str()));
    if (h.args.empty()) argv.push_back(const_cast<char*>(h.path.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : h.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    ::execve(h.path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(fds[0]);
  ::close(errPipe[1]);
  sys::Fd errRead(errPipe[0]);
  // The state fits in the pipe; a hook that does not read it gets EPIPE on our side, ignored. The
  // disposition is put back: an ignored SIGPIPE would survive execve into the container process.
  struct sigaction ignore = {}, saved = {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &saved);
  if (::write(fds[1], input.data(), input.size()) < 0) {}
  ::close(fds[1]);
  ::sigaction(SIGPIPE, &saved, nullptr);

  sys::Fd pidfd(sys::pidfdOpen(child));
  // Its stderr is read while it runs (a full pipe would stall it) until it closes, or the timeout.
  std::string stderrText;
  bool timedOut = false;
  long deadline = h.timeout > 0 ? h.timeout * 1000L : -1;
  struct timespec start;
  ::clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    int wait = -1;
    if (deadline >= 0) {
      struct timespec now;
      ::clock_gettime(CLOCK_MONOTONIC, &now);
      long spent = (now.tv_sec - start.tv_sec) * 1000L + (now.tv_nsec - start.tv_nsec) / 1000000L;
      if (spent >= deadline) { timedOut = true; break; }
      wait = static_cast<int>(deadline - spent);
    }
    // The hook's exit ends the wait even if something it started still holds its stderr.
    struct pollfd p[2] = {{errRead.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
    int n = ::poll(p, pidfd.valid() ? 2 : 1, wait);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) { timedOut = n == 0; break; }
    bool exited = pidfd.valid() && (p[1].revents & POLLIN);
    if (exited) ::fcntl(errRead.get(), F_SETFL, O_NONBLOCK);
    char buf[4096];
    ssize_t got;
    bool closed = false;
    while ((got = ::read(errRead.get(), buf, sizeof buf)) > 0) {
      if (stderrText.size() < 65536) stderrText.append(buf, static_cast<size_t>(got));
      if (!exited) break;
    }
    if (got == 0) closed = true;
    if (closed || exited) break;
  }
  if (timedOut) ::kill(child, SIGKILL);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {}
  while (!stderrText.empty() && (stderrText.back() == '\n' || stderrText.back() == ' ')) stderrText.pop_back();
  std::string tail = stderrText.empty() ? "" : ", stderr: " + stderrText;
  if (timedOut) return failWith("error running " + name + ": timeout after " + std::to_string(h.timeout) + "s" + tail, ETIMEDOUT);
  if (WIFSIGNALED(status)) return failWith("error running " + name + ": signal: " + ::strsignal(WTERMSIG(status)) + tail, ECHILD);
  if (WEXITSTATUS(status) != 0) return failWith("error running " + name + ": exit status " + std::to_string(WEXITSTATUS(status)) + tail, ECHILD);
  // The hook's own words go to tsrunc's log under its name (while the init still has a channel).
  size_t from = 0;
  while (from < stderrText.size()) {
    size_t nl = stderrText.find('\n', from);
    std::string line = stderrText.substr(from, nl == std::string::npos ? std::string::npos : nl - from);
    if (!line.empty()) infoLog(name + ": " + line);
    if (nl == std::string::npos) break;
    from = nl + 1;
  }
  return ok();
}

}  // namespace

Result runContainerHooks(const std::vector<HookPlan>& hooks, const char* phase, const json::Value& state) {
  std::string input = state.dump();
  for (size_t i = 0; i < hooks.size(); i++) {
    std::string name = std::string(phase) + " hook #" + std::to_string(i) + " (" + hooks[i].path + ")";
    TRY(inStep(runOne(hooks[i], name, input), std::string("run ") + phase + " hooks"));
  }
  return ok();
}
