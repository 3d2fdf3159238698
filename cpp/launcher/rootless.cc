#include "rootless.h"

#include <sys/prctl.h>
#include <sys/wait.h>

#include <cstdio>

#include "namespaces.h"
#include "sys.h"

namespace {

// newuidmap PID containerID hostID size...; its complaint ("uid range [...) -> [...) not allowed")
// is read from a pipe, so it reaches the user instead of the container's stderr.
Result runMapHelper(const std::string& helper, pid_t pid, const std::vector<IdMap>& maps) {
  if (maps.empty()) return ok();
  std::vector<std::string> args = {helper, std::to_string(pid)};
  for (const IdMap& m : maps) {
    args.push_back(std::to_string(m.containerID));
    args.push_back(std::to_string(m.hostID));
    args.push_back(std::to_string(m.size));
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return fail("pipe");
  pid_t child = ::fork();
  if (child < 0) { ::close(out[0]); ::close(out[1]); return fail("fork", helper); }
  if (child == 0) {
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    char* const env[] = {nullptr};
    ::execve(helper.c_str(), argv.data(), env);
    ::_exit(127);
  }
  ::close(out[1]);
  std::string text;
  char buf[512];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) if (n > 0) text.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {}
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return ok();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::string why = WIFEXITED(status) && WEXITSTATUS(status) == 127 && text.empty() ? "could not be run" : "failed";
  return failWith(helper + " " + why + (text.empty() ? "" : ": " + text), EPERM);
}

}  // namespace

Result writeContainerIdMaps(pid_t pid, const Plan& plan, const ProcfsHandle& proc) {
  if (plan.idMapHelpers) {
    TRY(inStep(runMapHelper(plan.idMapHelpers->newuidmap, pid, plan.uidMappings), "write uid mappings"));
    return inStep(runMapHelper(plan.idMapHelpers->newgidmap, pid, plan.gidMappings), "write gid mappings");
  }
  if (plan.denySetgroups) TRY(inStep(proc.write(std::to_string(pid) + "/setgroups", "deny"), "deny setgroups"));
  return writeIdMaps(pid, plan, proc);
}

bool runningInUserNamespace() {
  std::string map;
  if (!sys::readFile("/proc/self/uid_map", map)) return false;
  unsigned long inside = 1, outside = 1, count = 0;
  if (std::sscanf(map.c_str(), "%lu %lu %lu", &inside, &outside, &count) != 3) return true;
  return !(inside == 0 && outside == 0 && count == 4294967295UL);
}

void letRootlessCallerJoin(const Plan& plan) {
  // Set exactly when an unprivileged caller made the user namespace (src/linux/rootless.ts).
  if (plan.denySetgroups || plan.idMapHelpers) ::prctl(PR_SET_DUMPABLE, 1);
}
