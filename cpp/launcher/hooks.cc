#include "hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "sys.h"

void parseContainerHooks(const json::Value& v, ContainerHooksPlan& out) {
  if (!v.isObject()) return;
  auto list = [](const json::Value& a, std::vector<HookPlan>& into) {
    for (const auto& h : a.items()) {
      HookPlan p;
      p.path = h.str("path");
      p.args = h.strings("args");
      if (p.args.empty()) p.args.push_back(p.path);
      p.env = h.strings("env");
      p.timeout = static_cast<int>(h.integer("timeout"));
      into.push_back(p);
    }
  };
  list(v["createContainer"], out.createContainer);
  list(v["startContainer"], out.startContainer);
  out.state = v["state"];
}

namespace {

Result runOne(const HookPlan& h, const std::string& name, const std::string& input) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return inStep(fail("pipe"), name);
  pid_t child = ::fork();
  if (child < 0) { ::close(fds[0]); ::close(fds[1]); return inStep(fail("fork"), name); }
  if (child == 0) {
    ::dup2(fds[0], 0);
    int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) ::dup2(null, 1);
    sys::closeRange(3, ~0U, 0);
    std::vector<char*> argv, envp;
    for (const auto& a : h.args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : h.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    ::execve(h.path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(fds[0]);
  // The state fits in the pipe; a hook that does not read it gets EPIPE on our side, ignored. The
  // disposition is put back: an ignored SIGPIPE would survive execve into the container process.
  struct sigaction ignore = {}, saved = {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &saved);
  if (::write(fds[1], input.data(), input.size()) < 0) {}
  ::close(fds[1]);
  ::sigaction(SIGPIPE, &saved, nullptr);

  sys::Fd pidfd(sys::pidfdOpen(child));
  bool timedOut = false;
  if (pidfd.valid()) {
    struct pollfd p = {pidfd.get(), POLLIN, 0};
    int n;
    do { n = ::poll(&p, 1, h.timeout > 0 ? h.timeout * 1000 : -1); } while (n < 0 && errno == EINTR);
    if (n == 0) { timedOut = true; ::kill(child, SIGKILL); }
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {}
  if (timedOut) return failWith("error running " + name + ": timeout after " + std::to_string(h.timeout) + "s", ETIMEDOUT);
  if (WIFSIGNALED(status)) return failWith("error running " + name + ": signal: " + ::strsignal(WTERMSIG(status)), ECHILD);
  if (WEXITSTATUS(status) != 0) return failWith("error running " + name + ": exit status " + std::to_string(WEXITSTATUS(status)), ECHILD);
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
