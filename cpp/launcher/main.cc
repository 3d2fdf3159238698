// tsrunc-launcher: the single-threaded process that turns a launch plan into a waiting container.
//
// Three processes, as in runc's nsexec:
//   launcher  talks to the CLI; writes id maps; reports the init's pid; kills everything on failure.
//   stage 1   joins namespaces given by path, creates user ns (maps written by the launcher), then
//             the others, and forks the init with CLONE_PARENT so the launcher is its parent.
//   init      pid 1 of the container: mounts, /dev, pivot_root, credentials; reports ready, then
//             blocks opening exec.fifo until `tsrunc start` opens it, and execs the process.
// Messages are the structs generated from src/contract/launcher.contract.json (see channel.h);
// every failure carries {step, op, path, errno}.
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <cstring>

#include "cgroups.h"
#include "channel.h"
#include "hooks.h"
#include "idmap-mount.h"
#include "joined-userns.h"
#include "log.h"
#include "lsm.h"
#include "mempolicy.h"
#include "namespaces.h"
#include "netdevices.h"
#include "plan.h"
#include "process.h"
#include "procfs.h"
#include "pty.h"
#include "rootless.h"
#include "rootfs.h"
#include "scheduling.h"
#include "seccomp.h"
#include "signals.h"
#include "sys.h"

namespace {

[[noreturn]] void failAndExit(const Channel& ch, const Failure& f) {
  ch.sendFailure(f);
  ::_exit(1);
}

#define OR_DIE(ch, expr)                                   \
  do {                                                     \
    if (Result dieResult_ = (expr)) failAndExit(ch, *dieResult_); \
  } while (0)

// The container must receive exactly fds 0..2+preserveFds. Fill gaps in that range with /dev/null
// so nothing the launcher opens later can land there and leak into the container.
void fillPreservedRange(int preserveFds) {
  for (int fd = 3; fd < 3 + preserveFds; fd++) {
    if (::fcntl(fd, F_GETFD) != -1) continue;
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0 && null != fd) { ::dup2(null, fd); ::close(null); }
  }
}

// The init's keyring is searchable by its uid (by anyone in a user namespace), as runc makes it:
// an exec'd process does not possess it, and joining by name finds only a keyring it may search.
Result letExecJoinKeyring(const Plan& plan, long serial, const std::string& name) {
  const long KEYCTL_SETPERM = 5, KEYCTL_DESCRIBE = 6;
  char desc[512];
  long n = ::syscall(SYS_keyctl, KEYCTL_DESCRIBE, serial, desc, sizeof desc);
  if (n < 0 || n > static_cast<long>(sizeof desc)) return inStep(fail("keyctl describe", name), "session keyring");
  // "type;uid;gid;perm;description", perm in hex.
  const std::string described(desc, ::strnlen(desc, sizeof desc));
  size_t at = 0;
  for (int field = 0; field < 3 && at != std::string::npos; field++) at = described.find(';', at) == std::string::npos ? std::string::npos : described.find(';', at) + 1;
  if (at == std::string::npos) return inStep(failWith("keyctl describe " + name + ": no permissions in \"" + described + "\"", EINVAL), "session keyring");
  const unsigned long search = findNamespace(plan, "user") ? 0x08 /* other: search */ : 0x080000 /* uid: search */;
  unsigned long bits = std::strtoul(described.c_str() + at, nullptr, 16) | search;
  if (::syscall(SYS_keyctl, KEYCTL_SETPERM, serial, bits) < 0) return inStep(fail("keyctl setperm", name), "session keyring");
  return ok();
}

Result joinKeyring(const Plan& plan) {
  if (plan.noNewKeyring) return ok();
  // KEYCTL_JOIN_SESSION_KEYRING: a session keyring of the container's, so the container does not
  // share the caller's keys; an exec'd process joins the one its init made (runc's name for it).
  const std::string name = "_ses." + plan.id;
  long serial = ::syscall(SYS_keyctl, 1, name.c_str());
  if (serial < 0 && errno != ENOSYS && errno != EDQUOT) return inStep(fail("keyctl join session keyring", name), "session keyring");
  if (serial < 0 || isExec(plan)) return ok();
  return letExecJoinKeyring(plan, serial, name);
}

Result writeSysctls(const Plan& plan, const ProcfsHandle& proc) {
  for (const SysctlPlan& s : plan.sysctl) {
    if (s.path.compare(0, 10, "/proc/sys/") != 0 || s.path.find("/../") != std::string::npos)
      return failWith("sysctl " + s.key + ": " + s.path + " is not under /proc/sys", EINVAL);
    TRY(inStep(proc.write(s.path.substr(6), s.value), "sysctl " + s.key));
  }
  return ok();
}

Result loadNotifyingFilter(const SeccompProgram& program, const Channel& ch) {
  int notifyFd;
  TRY(loadSeccomp(program, notifyFd));
  sys::Fd owned(notifyFd);
  if (!ch.sendWithFd(msg::SeccompNotify{}, notifyFd)) return inStep(fail("sendmsg"), "pass the seccomp notify fd");
  return ok();
}

// Last, so the profile never has to allow what the init does to get here (getcwd, mkdir, the
// exec.fifo handshake): only execve follows.
Result loadSeccompLast(const SeccompProgram& program) {
  int unused;
  return inStep(loadSeccomp(program, unused), "load seccomp filter");
}

// ---- the process: shared by a container's init and an exec'd process ---------------------------

// The pty's master goes up to the launcher (which hands it to --console-socket); the slave becomes
// this process's stdio and controlling terminal, and for the init also /dev/console. The session
// must be new already.
Result setUpConsole(const Plan& plan, const Channel& ch, bool asDevConsole) {
  Pty pty;
  TRY(openPty(*plan.console, pty));
  if (asDevConsole) TRY(bindPtyOnConsole(pty));
  // runc names the master's file in the message ("/dev/ptmx"); clients only take the fd.
  if (!ch.sendWithFd(msg::Console{"/dev/ptmx"}, pty.master.get())) return inStep(fail("sendmsg"), "pass the console to the launcher");
  pty.master.reset();
  return attachPtySlave(pty, plan.process ? plan.process->uid : 0);
}

// Everything before the process may run, in runc's order: cwd, rlimits, scheduling, memory policy,
// credentials, umask, the executable looked up, no_new_privs, and a notifying seccomp filter.
void prepareProcess(const Plan& plan, const Prepared& prepared, Channel& ch, std::vector<std::string>& env, std::string& executable) {
  const ProcessPlan& p = *plan.process;
  env = processEnvironment(p);
  // Entered before dropping privileges, and again after if root could not (a cwd only the
  // container user may enter, e.g. with root squashing).
  Result inCwd = enterWorkingDirectory(p.cwd);
  if (inCwd && inCwd->err != EACCES) failAndExit(ch, *inCwd);
  OR_DIE(ch, applyRlimits(p));
  OR_DIE(ch, applySchedulingAttributes(p.scheduling));
  OR_DIE(ch, applyMemoryPolicy(plan.memoryPolicy));
  // Without no_new_privs, loading the seccomp filter needs CAP_SYS_ADMIN, kept until execve.
  OR_DIE(ch, switchUser(p, plan.seccomp && !p.noNewPrivileges));
  if (inCwd) OR_DIE(ch, enterWorkingDirectory(p.cwd));
  // Without user.umask the init gets 0022 (runc's choice); an exec'd process keeps its caller's,
  // as the spec says for an unset umask and runc does.
  if (p.umask >= 0) ::umask(static_cast<mode_t>(p.umask));
  else if (!isExec(plan)) ::umask(022);
  OR_DIE(ch, resolveExecutable(p, env, executable));
  OR_DIE(ch, setNoNewPrivileges(p));
  // A notifying filter is loaded now, while tsrunc is still there to pass its fd on to the
  // listener (as runc does); any other filter only just before execve.
  if (notifies(plan.seccomp)) OR_DIE(ch, loadNotifyingFilter(prepared.seccomp, ch));
}

// Final steps, in this order: CPU affinity, the LSM labels for execve (the last use of the
// private procfs, closed there), then seccomp, so the filter never has to allow their writes.
// Returns only on failure.
Failure finishAndExec(const Plan& plan, const Prepared& prepared, ProcfsHandle& ownProc, const std::vector<std::string>& env, const std::string& executable) {
  if (Result r = applyFinalCpuAffinity(plan.process->scheduling)) return *r;
  if (Result r = applyExecLabels(*plan.process, ownProc)) return *r;
  ownProc.reset();
  if (Result r = notifies(plan.seccomp) ? ok() : loadSeccompLast(prepared.seccomp)) return *r;
  sys::closeRange(3 + plan.preserveFds, ~0U, CLOSE_RANGE_CLOEXEC);
  std::vector<char*> argv, envp;
  for (const auto& a : plan.process->args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  // An exec'd process outlives the launcher; the init dropped this at commit already.
  ::prctl(PR_SET_PDEATHSIG, 0);
  ::execve(executable.c_str(), argv.data(), envp.data());
  Failure failure = sysFailure("exec", executable);
  failure.step = "start container process";
  return failure;
}

// The state a createContainer/startContainer hook reads: the plan's, with this moment's status and
// the init's pid as the container sees it (runtime.md § State: these hooks run in the container's
// namespaces), so 1 with a pid namespace of its own, as runc gives.
json::Value hookState(const Plan& plan, const char* status) {
  json::Value state = plan.containerHooks ? plan.containerHooks->state : json::Value::object();
  state.set("status", json::Value::string(status));
  state.set("pid", json::Value::number(::getpid()));
  return state;
}

// A protocol step: tsrunc runs the hooks of `phase` (in the runtime's namespaces, with this
// process's pid in their state) while this process waits.
Result waitForHooks(Channel& ch, const char* phase) {
  if (!ch.send(msg::Hook{phase, 0})) return inStep(fail("send"), std::string("run ") + phase + " hooks");
  return ch.expect<msg::HookDone>();
}

// ---- exec: a new process in a running container ------------------------------------------------

// Stage 1 has joined every namespace of the container (setns into its mount namespace put this
// process at the container's root) and the launcher has put it into the container's cgroups.
// No exec.fifo: it runs as soon as it is set up; the launcher reads success from the channel
// closing at execve, or the failure sent on it.
[[noreturn]] void runExecProcess(const Plan& plan, Prepared& prepared, Channel& ch) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  prepared.cgroup.reset();
  prepared.targetInit.reset();
  prepared.hostProc.reset();
  OR_DIE(ch, applyInitialCpuAffinity(plan.process->scheduling));
  OR_DIE(ch, ch.expect<msg::Go>());
  // The init of a container without a mount namespace is only chrooted: share its root (the pid
  // was checked against the init's pidfd before the fork; /proc here is the runtime's own).
  if (!ownMountTable(plan)) {
    std::string initRoot = "/proc/" + std::to_string(targetInitPid(plan)) + "/root";
    if (::chroot(initRoot.c_str()) != 0) failAndExit(ch, *inStep(fail("chroot", initRoot), "enter the container's root"));
    if (::chdir("/") != 0) failAndExit(ch, *inStep(fail("chdir", "/"), "enter the container's root"));
  }
  OR_DIE(ch, joinKeyring(plan));
  // In the container's namespaces now, whose /proc its processes may have covered or replaced:
  // the LSM exec attrs, the only procfs files this process writes, go through a procfs of its own.
  ProcfsHandle ownProc;
  if (!plan.process->apparmorProfile.empty() || !plan.process->selinuxLabel.empty())
    OR_DIE(ch, inStep(ProcfsHandle::open(false, ownProc), "open the runtime's procfs"));
  // A session of its own, terminal or not, as runc's exec'd processes have: out of the caller's
  // process group and session (and its terminal's signals), its own group's leader.
  if (::setsid() < 0) failAndExit(ch, *fail("setsid"));
  if (plan.console) OR_DIE(ch, setUpConsole(plan, ch, false));
  std::vector<std::string> env;
  std::string executable;
  prepareProcess(plan, prepared, ch, env, executable);
  failAndExit(ch, finishAndExec(plan, prepared, ownProc, env, executable));
}

// ---- init ----------------------------------------------------------------------------------------

[[noreturn]] void runInit(const Plan& plan, Prepared& prepared, Channel& ch) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  prepared.cgroup.reset();
  prepared.hostProc.reset();
  if (plan.process) OR_DIE(ch, applyInitialCpuAffinity(plan.process->scheduling));
  // The launcher puts this process into its cgroups (unless clone3 already did) and sends the
  // id-mapped trees before "go".
  OR_DIE(ch, receiveIdmappedMounts(plan, ch, prepared.idmappedTrees));
  OR_DIE(ch, ch.expect<msg::Go>());

  if (newNamespace(plan, "cgroup") && ::unshare(CLONE_NEWCGROUP) != 0) failAndExit(ch, *inStep(fail("unshare", "cgroup"), "create cgroup namespace"));
  if (::setsid() < 0) failAndExit(ch, *fail("setsid"));
  OR_DIE(ch, joinKeyring(plan));
  if (plan.hostname && ::sethostname(plan.hostname->data(), plan.hostname->size()) != 0) failAndExit(ch, *fail("sethostname", *plan.hostname));
  if (plan.domainname && ::setdomainname(plan.domainname->data(), plan.domainname->size()) != 0) failAndExit(ch, *fail("setdomainname", *plan.domainname));

  // The runtime's own procfs of the container's pid namespace, made before any of the container's
  // mounts: sysctls, the mount checks, exec.fifo and the LSM labels for execve all go through it.
  // Its /proc/sys part is closed once the sysctls are written.
  ProcfsHandle ownProc;
  OR_DIE(ch, inStep(ProcfsHandle::open(!plan.sysctl.empty(), ownProc), "open the runtime's procfs"));
  OR_DIE(ch, writeSysctls(plan, ownProc));
  ownProc.closeSys();
  sys::Fd fifo = std::move(prepared.execFifo);

  if (ownMountTable(plan)) OR_DIE(ch, prepareRoot(plan));
  sys::Fd rootfd(::open(plan.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfd.valid()) failAndExit(ch, *inStep(fail("open", plan.rootfs), "open rootfs"));
  OR_DIE(ch, mountAll(plan, rootfd.get(), ownProc, prepared.idmappedTrees));
  OR_DIE(ch, setupDev(plan, rootfd.get()));
  if (plan.process) OR_DIE(ch, prepareWorkingDirectory(rootfd.get(), plan.process->cwd));
  if (plan.hooksBeforePivot) OR_DIE(ch, waitForHooks(ch, "prestart and createRuntime"));
  // In the container's namespaces, before pivot_root: the host's paths still resolve.
  static const ContainerHooksPlan kNoHooks;
  const ContainerHooksPlan& hooks = plan.containerHooks ? *plan.containerHooks : kNoHooks;
  OR_DIE(ch, runContainerHooks(hooks.createContainer, "createContainer", hookState(plan, "creating")));
  MaskSources masks;
  OR_DIE(ch, prepareMasks(plan, rootfd.get(), masks));
  OR_DIE(ch, enterRoot(plan, rootfd.get()));
  rootfd.reset();
  // As runc: after the config's mounts, before the read-only root and masked paths.
  if (plan.console) OR_DIE(ch, setUpConsole(plan, ch, true));
  OR_DIE(ch, finalizeRoot(plan, masks));

  std::vector<std::string> env;
  std::string executable;
  if (plan.process) prepareProcess(plan, prepared, ch, env, executable);

  OR_DIE(ch, ch.send(msg::Ready{}) ? ok() : fail("send ready"));
  OR_DIE(ch, ch.expect<msg::Commit>());
  // From here on the container outlives the launcher.
  ::prctl(PR_SET_PDEATHSIG, 0);
  ch.send(msg::Committed{});
  ::close(ch.fd());
  setLogChannel(nullptr, false);

  letRootlessCallerJoin(plan);
  // Blocks until `tsrunc start` opens the fifo for reading. exec.fifo lives in the state dir,
  // outside the rootfs: reopened through its fd's magic link in the runtime's procfs.
  std::string fifoLink = std::to_string(::getpid()) + "/fd/" + std::to_string(fifo.get());
  int release;
  do { release = ::openat(ownProc.pidsFd(), fifoLink.c_str(), O_WRONLY | O_CLOEXEC); } while (release < 0 && errno == EINTR);
  if (release < 0) ::_exit(127);
  fifo.reset();

  // startContainer: after start, just before the user process, inside the container.
  Result started = runContainerHooks(hooks.startContainer, "startContainer", hookState(plan, "created"));
  Failure failure = started ? *started
      : plan.process ? finishAndExec(plan, prepared, ownProc, env, executable)
      : *failWith("cannot start a container without a process (config.json has no \"process\")", EINVAL);
  // `start` reads this from the fifo; a successful exec closes the fifo with nothing written.
  std::string text = toJson(failureMessage(failure)).dump() + "\n";
  if (::write(release, text.data(), text.size()) < 0) {}
  ::_exit(127);
}

// ---- stage 1 -------------------------------------------------------------------------------------

[[noreturn]] void runStage1(const Plan& plan, Prepared& prepared, std::vector<JoinedNamespace>& joined, Channel& ch, pid_t launcher) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != launcher) ::_exit(1);

  bool joinedAll = false;
  OR_DIE(ch, joinByPidfd(plan, prepared.targetInit.get(), joinedAll));
  if (joinedAll) {
    debugLog("joined the namespaces of init " + std::to_string(targetInitPid(plan)) + " through its pidfd");
    joined.clear();
  }
  for (const JoinedNamespace& ns : joined) {
    if (ns.plan->type != "user") continue;
    OR_DIE(ch, joinNamespace(ns));
    OR_DIE(ch, checkJoinedUserMappings(plan, prepared.hostProc));
    OR_DIE(ch, becomeUserNamespaceRoot());
  }
  if (newNamespace(plan, "user")) {
    if (::unshare(CLONE_NEWUSER) != 0) failAndExit(ch, *inStep(fail("unshare", "user"), "create user namespace"));
    // Dumpable only while the maps are written: a non-dumpable process's /proc files belong to
    // root, which an unprivileged launcher (or newuidmap acting for it) may not write.
    ::prctl(PR_SET_DUMPABLE, 1);
    if (!ch.send(msg::Idmap{})) ::_exit(1);
    OR_DIE(ch, ch.expect<msg::IdmapDone>());
    ::prctl(PR_SET_DUMPABLE, 0);
    OR_DIE(ch, becomeUserNamespaceRoot());
  }
  for (const JoinedNamespace& ns : joined) if (ns.plan->type != "user") OR_DIE(ch, joinNamespace(ns));
  joined.clear();

  int flags = unshareFlags(plan);
  if (flags && ::unshare(flags) != 0) failAndExit(ch, *inStep(fail("unshare"), "create namespaces"));
  if (newNamespace(plan, "time")) OR_DIE(ch, writeTimeOffsets(plan, prepared.hostProc));
  // The init is born in the container's pid namespace: it makes its own procfs there.
  prepared.hostProc.reset();

  // CLONE_PARENT: the init becomes the launcher's child, so the launcher can kill and reap it on
  // failure, and it is reparented to the caller's subreaper once the launcher exits.
  // In a user namespace the cgroup's files belong to a stranger: the launcher writes cgroup.procs.
  int cgroupFd = findNamespace(plan, "user") ? -1 : prepared.cgroup.get();
  bool placed = false;
  pid_t child = cloneInitProcess(cgroupFd, !newNamespace(plan, "pid"), placed);
  if (child < 0 && cgroupFd >= 0) failAndExit(ch, *inStep(fail("clone3 into cgroup", plan.cgroup.intoCgroup), "start container init"));
  if (child < 0) failAndExit(ch, *inStep(fail("clone"), "start container init"));
  if (child == 0) { if (isExec(plan)) runExecProcess(plan, prepared, ch); runInit(plan, prepared, ch); }
  if (placed) debugLog("init " + std::to_string(child) + " cloned into cgroup " + plan.cgroup.intoCgroup);

  ch.send(msg::Child{child, placed});
  ::_exit(0);
}

// ---- launcher ------------------------------------------------------------------------------------

class Launcher {
 public:
  Launcher(const Plan& plan, Prepared& prepared, Channel& cli) : plan_(plan), prepared_(prepared), cli_(cli), netDevices_(plan.netDevices) {}

  int run(std::vector<JoinedNamespace>& joined) {
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0) return abort(*fail("socketpair"));
    pid_t self = ::getpid();
    stage1_ = ::fork();
    if (stage1_ < 0) return abort(*fail("fork"));
    if (stage1_ == 0) {
      ::close(sp[0]);
      ::close(cli_.fd());
      Channel ch(sp[1], false);
      setLogChannel(&ch, plan_.debug);
      runStage1(plan_, prepared_, joined, ch, self);
    }
    ::close(sp[1]);
    joined.clear();
    inner_ = Channel(sp[0], false);

    for (;;) {
      json::Value msg;
      bool execd = false;
      if (Result r = receiveFromStages(msg, execd)) return abort(*r);
      bool done = execd;
      if (Result r = execd ? finishLaunch(false) : dispatch(msg, done)) return abort(*r);
      if (done) return 0;
    }
  }

  // Every message stage 1 and the init may send. No default: a message added to the contract's
  // StageToLauncher and not handled here fails the build (-Werror=switch).
  Result dispatch(const json::Value& v, bool& done) {
    StageToLauncher type;
    if (!messageType(v, type)) return failWith("launcher protocol: unexpected message \"" + v.str("type") + "\"", EPROTO);
    switch (type) {
      case StageToLauncher::Log: {
        msg::Log m;
        TRY(Channel::decode(v, m));
        cli_.send(m);
        return ok();
      }
      case StageToLauncher::Error: {
        msg::Error m;
        TRY(Channel::decode(v, m));
        return failureFrom(m);
      }
      case StageToLauncher::Idmap:
        TRY(writeContainerIdMaps(stage1_, plan_, prepared_.hostProc));
        inner_.send(msg::IdmapDone{});
        return ok();
      case StageToLauncher::Child: {
        msg::Child m;
        TRY(Channel::decode(v, m));
        init_ = static_cast<pid_t>(m.pid);
        initFd_.reset(sys::pidfdOpen(init_));
        reapStage1();
        TRY(joinCgroups(plan_.cgroup, init_, m.inCgroup));
        if (plan_.process) TRY(writeOomScoreAdj(*plan_.process, init_, prepared_.hostProc));
        // The init's network namespace is the container's now, and the init waits for "go": the
        // devices are there before any of its setup or hooks run.
        TRY(netDevices_.moveInto(init_));
        TRY(sendIdmappedMounts(plan_, init_, inner_, prepared_.hostProc));
        inner_.send(msg::Go{});
        return ok();
      }
      case StageToLauncher::Console: {
        msg::Console m;
        TRY(Channel::decode(v, m));
        sys::Fd master(inner_.takeReceivedFd());
        if (!master.valid() || !plan_.console) return failWith("launcher protocol: the console fd did not arrive", EPROTO);
        return sendConsole(*plan_.console, master.get(), m.name);
      }
      case StageToLauncher::SeccompNotify: {
        sys::Fd notifyFd(inner_.takeReceivedFd());
        if (!notifyFd.valid() || !notifies(plan_.seccomp)) return failWith("launcher protocol: the seccomp notify fd did not arrive", EPROTO);
        return sendToListener(*plan_.seccomp->listener, notifyFd.get(), init_);
      }
      case StageToLauncher::Hook: {
        // Relayed to tsrunc with the pid; its failure is tsrunc going away (then all is killed).
        msg::Hook m;
        TRY(Channel::decode(v, m));
        m.pid = init_;
        if (!cli_.send(m)) return fail("send to tsrunc");
        TRY(cli_.expect<msg::HookDone>());
        inner_.send(msg::HookDone{});
        return ok();
      }
      case StageToLauncher::Ready:
        done = true;
        return finishLaunch(true);
      case StageToLauncher::Committed:
        return failWith("launcher protocol: \"committed\" before \"commit\"", EPROTO);
    }
    return failWith("launcher protocol: unknown message", EPROTO);
  }

  // created -> commit -> done, for both kinds. A waiting init (create) is committed in between:
  // it drops its parent-death signal. An exec'd process runs already: tsrunc records its pid (pid
  // file) and lets it go; it is not reaped here, once the launcher exits it belongs to tsrunc (a
  // subreaper) or to the caller's reaper.
  Result finishLaunch(bool initWaits) {
    if (!cli_.send(msg::Created{init_})) return fail("send to tsrunc");
    TRY(cli_.expect<msg::Commit>());
    if (initWaits) {
      inner_.send(msg::Commit{});
      TRY(inner_.expect<msg::Committed>());
    }
    cli_.send(msg::Done{});
    return ok();
  }

  int abort(const Failure& f) {
    if (initFd_.valid()) sys::pidfdSendSignal(initFd_.get(), SIGKILL);
    else if (init_ > 0) ::kill(init_, SIGKILL);
    if (stage1_ > 0 && !stage1Reaped_) { ::kill(stage1_, SIGKILL); reapStage1(); }
    if (init_ > 0) ::waitpid(init_, nullptr, 0);
    netDevices_.putBack();
    cli_.sendFailure(f);
    return 1;
  }

 private:
  void reapStage1() {
    if (stage1Reaped_) return;
    int status;
    while (::waitpid(stage1_, &status, 0) < 0 && errno == EINTR) {}
    stage1Reaped_ = true;
  }

  // Waits for the next message from stage 1 or the init while watching the CLI: if tsrunc dies,
  // its end of the socket closes and everything started so far is killed.
  Result receiveFromStages(json::Value& msg, bool& execd) {
    for (;;) {
      struct pollfd fds[2] = {{inner_.fd(), POLLIN, 0}, {cli_.fd(), POLLIN, 0}};
      int n = ::poll(fds, 2, -1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail("poll");
      if (fds[1].revents & (POLLHUP | POLLERR)) return failWith("tsrunc went away during create", EPIPE);
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        if (inner_.recv(msg)) return ok();
        // An exec'd process closes its end at execve (close-on-exec): that is its success.
        if (isExec(plan_) && init_ > 0 && stage1Reaped_) {
          execd = true;
          return ok();
        }
        return initDied();
      }
      if (fds[1].revents & POLLIN) return failWith("launcher protocol: unexpected message from tsrunc", EPROTO);
    }
  }

  Result initDied() {
    if (init_ <= 0) {
      reapStage1();
      return failWith("container setup failed: the launcher's first stage exited without a report", ECHILD);
    }
    int status = 0;
    pid_t got;
    while ((got = ::waitpid(init_, &status, 0)) < 0 && errno == EINTR) {}
    init_ = -1;
    initFd_.reset();
    if (got > 0 && WIFSIGNALED(status))
      return failWith(std::string("container init was killed by signal ") + std::to_string(WTERMSIG(status)) + " (" + ::strsignal(WTERMSIG(status)) + ") during setup", EINTR);
    return failWith("container init exited during setup with status " + std::to_string(got > 0 ? WEXITSTATUS(status) : -1), ECHILD);
  }

  const Plan& plan_;
  Prepared& prepared_;
  Channel& cli_;
  Channel inner_;
  pid_t stage1_ = -1, init_ = -1;
  bool stage1Reaped_ = false;
  sys::Fd initFd_;
  NetDeviceMover netDevices_;
};

// `tsrunc delete` of a container without a mount namespace: the mounts it made in the runtime's
// mount table go. Node has no umount; this is the launcher's only other use outside a launch.
// Each is detached lazily (a process still using one keeps it until it lets go); one already gone
// with its parent is not an error.
int detachMounts(int count, char** paths) {
  int status = 0;
  for (int i = 0; i < count; i++) {
    if (::umount2(paths[i], MNT_DETACH | UMOUNT_NOFOLLOW) == 0 || errno == EINVAL || errno == ENOENT) continue;
    std::string text = std::string("umount ") + paths[i] + ": " + ::strerror(errno) + "\n";
    if (::write(2, text.data(), text.size()) < 0) {}
    status = 1;
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  // Nothing in the container may ptrace or read the memory of a process holding host resources.
  ::prctl(PR_SET_DUMPABLE, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  resetReservedSignals();
  if (argc < 2) {
    static const char usage[] = "tsrunc-launcher is started by tsrunc, not by hand\n";
    if (::write(2, usage, sizeof usage - 1) < 0) {}
    return 2;
  }
  if (std::strcmp(argv[1], "--detach-mounts") == 0) return detachMounts(argc - 2, argv + 2);
  if (std::strcmp(argv[1], "--features") == 0) {
    json::Value features = seccompFeatures();
    features.set("idmapMounts", json::Value::boolean(kernelHasIdmappedMounts()));
    std::string text = features.dump() + "\n";
    return ::write(1, text.data(), text.size()) == static_cast<ssize_t>(text.size()) ? 0 : 1;
  }
  Channel cli(std::atoi(argv[1]), true);
  json::Value msg;
  if (!cli.recv(msg)) {
    if (errno == EBADMSG) cli.sendFailure(*failWith("launch plan: not valid JSON: " + cli.parseError(), EBADMSG));
    return 1;
  }
  Plan parsed;
  if (Result r = parsePlan(msg, parsed)) { cli.sendFailure(*r); return 1; }
  const Plan& plan = parsed;

  // Move the CLI socket above the fds the container inherits, then fill that range.
  int moved = ::fcntl(cli.fd(), F_DUPFD_CLOEXEC, 3 + plan.preserveFds);
  if (moved < 0) { cli.sendFailure(*fail("dup")); return 1; }
  ::close(cli.fd());
  cli.moveToFd(moved);
  Channel& cliMoved = cli;
  // Whatever else the caller left open without close-on-exec (containerd's shim leaves its socket
  // at fd 3) goes now, so the waiting init never holds an fd it was not meant to have.
  unsigned first = 3 + static_cast<unsigned>(plan.preserveFds);
  if (static_cast<unsigned>(moved) > first) sys::closeRange(first, static_cast<unsigned>(moved) - 1, 0);
  sys::closeRange(static_cast<unsigned>(moved) + 1, ~0U, 0);
  fillPreservedRange(plan.preserveFds);
  setLogChannel(&cliMoved, plan.debug);

  // Opened here, as host root, and inherited by the init: inside a user namespace the init's root
  // may have no way into the state directory (which can be mode 0700).
  Prepared prepared;
  if (!isExec(plan)) {
    prepared.execFifo.reset(::open(plan.execFifo.c_str(), O_PATH | O_CLOEXEC));
    if (!prepared.execFifo.valid()) { cliMoved.sendFailure(*inStep(fail("open", plan.execFifo), "open exec fifo")); return 1; }
  }

  // Compiled before anything exists, so a profile libseccomp refuses leaves nothing behind.
  if (Result r = compileSeccomp(plan.seccomp, prepared.seccomp)) { cliMoved.sendFailure(*r); return 1; }
  // create makes the cgroups while this process starts; nothing above needs them.
  if (plan.cgroup.afterPlan) {
    if (Result r = inStep(cliMoved.expect<msg::CgroupsReady>(), "wait for the cgroups")) { cliMoved.sendFailure(*r); return 1; }
  }
  if (Result r = openCgroupForClone(plan.cgroup, prepared.cgroup)) { cliMoved.sendFailure(*r); return 1; }
  if (Result r = openTargetInit(plan, prepared.targetInit)) { cliMoved.sendFailure(*r); return 1; }
  std::vector<JoinedNamespace> joined;
  if (Result r = openJoinedNamespaces(plan, joined)) { cliMoved.sendFailure(*r); return 1; }
  if (Result r = confirmTargetInit(plan, prepared.targetInit.get())) { cliMoved.sendFailure(*r); return 1; }
  if (Result r = checkNetDevices(plan)) { cliMoved.sendFailure(*r); return 1; }
  if (Result r = inStep(ProcfsHandle::open(false, prepared.hostProc), "open the runtime's procfs")) { cliMoved.sendFailure(*r); return 1; }
  Launcher launcher(plan, prepared, cliMoved);
  return launcher.run(joined);
}
