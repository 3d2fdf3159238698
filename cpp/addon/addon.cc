// The native addon: the few things Node cannot do itself. It never touches namespaces (Node is
// multithreaded); it starts the single-threaded launcher, which does. Failures become JS errors
// carrying code, errno and syscall, like Node's own; no C++ exception crosses into JS.
#include <errno.h>
#include <fcntl.h>
#include <napi.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "bpf.h"
#include "fdpass.h"
#include "files.h"
#include "ptywrite.h"
#include "sealed-launcher.h"

namespace {

const char* errnoCode(int err) {
  switch (err) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ESRCH: return "ESRCH";
    case EAGAIN: return "EAGAIN";
    case EINVAL: return "EINVAL";
    case ECHILD: return "ECHILD";
    case EBADF: return "EBADF";
    case ENOEXEC: return "ENOEXEC";
    default: return "EUNKNOWN";
  }
}

Napi::Value throwErrno(Napi::Env env, const char* syscall, int err, const std::string& path = "") {
  std::string msg = std::string(syscall) + (path.empty() ? "" : " " + path) + ": " + strerror(err);
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, errnoCode(err)));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  if (!path.empty()) e.Set("path", Napi::String::New(env, path));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

bool checkArgs(const Napi::CallbackInfo& info, size_t n, const char* name) {
  if (info.Length() >= n) return true;
  Napi::TypeError::New(info.Env(), std::string(name) + ": missing arguments").ThrowAsJavaScriptException();
  return false;
}

// prepareLauncher(path): starts making the sealed copy spawnLauncher(path, ...) will run, on a
// thread, while the command's code loads and the config is checked.
Napi::Value PrepareLauncher(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkArgs(info, 1, "prepareLauncher")) return env.Undefined();
  prepareSealedCopy(info[0].As<Napi::String>().Utf8Value());
  return env.Undefined();
}

// spawnLauncher(path, inheritFds) -> { pid, fd }: fd is our end of a stream socketpair whose other
// end the launcher gets as argv[1]. inheritFds (stdio and --preserve-fds) are passed even though
// Node marks its own stdio close-on-exec. Signal dispositions and mask are reset: Node ignores
// SIGPIPE, and an ignored signal would otherwise be inherited by the container's process.
Napi::Value SpawnLauncher(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkArgs(info, 2, "spawnLauncher")) return env.Undefined();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  Napi::Array inherit = info[1].As<Napi::Array>();

  int err = 0;
  const char* failedCall = "";
  int mem = takeSealedCopy(path, err, failedCall);
  if (mem < 0) return throwErrno(env, failedCall, err, path);

  int sp[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) { err = errno; close(mem); return throwErrno(env, "socketpair", err); }

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  // dup2 onto itself clears close-on-exec for the child only.
  posix_spawn_file_actions_adddup2(&actions, sp[1], sp[1]);
  for (uint32_t i = 0; i < inherit.Length(); i++) {
    int fd = inherit.Get(i).As<Napi::Number>().Int32Value();
    if (fcntl(fd, F_GETFD) != -1) posix_spawn_file_actions_adddup2(&actions, fd, fd);
  }
  posix_spawnattr_init(&attr);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::string exe = "/proc/self/fd/" + std::to_string(mem);
  std::string fdArg = std::to_string(sp[1]);
  char* argv[] = {const_cast<char*>("tsrunc-launcher"), const_cast<char*>(fdArg.c_str()), nullptr};
  char* envp[] = {nullptr};
  pid_t pid;
  int rc = posix_spawn(&pid, exe.c_str(), &actions, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(sp[1]);
  close(mem);
  if (rc != 0) { close(sp[0]); return throwErrno(env, "posix_spawn", rc, path); }

  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, pid));
  out.Set("fd", Napi::Number::New(env, sp[0]));
  return out;
}

Napi::Object statusObject(Napi::Env env, int status) {
  Napi::Object out = Napi::Object::New(env);
  if (WIFEXITED(status)) {
    out.Set("exitCode", Napi::Number::New(env, WEXITSTATUS(status)));
    out.Set("signal", env.Null());
  } else {
    out.Set("exitCode", env.Null());
    out.Set("signal", Napi::Number::New(env, WIFSIGNALED(status) ? WTERMSIG(status) : 0));
  }
  return out;
}

// waitPid(pid) -> { exitCode, signal }, blocking. For processes that end promptly (the launcher).
Napi::Value WaitPid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkArgs(info, 1, "waitPid")) return env.Undefined();
  pid_t pid = info[0].As<Napi::Number>().Int32Value();
  int status = 0;
  pid_t got;
  while ((got = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {}
  if (got < 0) return throwErrno(env, "waitpid", errno);
  return statusObject(env, status);
}

class WaitWorker : public Napi::AsyncWorker {
 public:
  WaitWorker(Napi::Env env, pid_t pid) : Napi::AsyncWorker(env), pid_(pid), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    pid_t got;
    while ((got = waitpid(pid_, &status_, 0)) < 0 && errno == EINTR) {}
    err_ = got < 0 ? errno : 0;
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (err_ != 0) {
      Napi::Error e = Napi::Error::New(env, std::string("waitpid: ") + strerror(err_));
      e.Set("errno", Napi::Number::New(env, err_));
      e.Set("syscall", Napi::String::New(env, "waitpid"));
      deferred_.Reject(e.Value());
      return;
    }
    deferred_.Resolve(statusObject(env, status_));
  }

 private:
  pid_t pid_;
  int status_ = 0, err_ = 0;
  Napi::Promise::Deferred deferred_;
};

// waitPidAsync(pid) -> Promise<{ exitCode, signal }>: waits on a pool thread, so the event loop
// keeps forwarding signals meanwhile (`tsrunc run` in the foreground).
Napi::Value WaitPidAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkArgs(info, 1, "waitPidAsync")) return env.Undefined();
  auto* worker = new WaitWorker(env, info[0].As<Napi::Number>().Int32Value());
  Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}

Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkArgs(info, 1, "pidfdOpen")) return env.Undefined();
  int fd = static_cast<int>(syscall(SYS_pidfd_open, info[0].As<Napi::Number>().Int32Value(), 0));
  if (fd < 0) return throwErrno(env, "pidfd_open", errno);
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  return Napi::Number::New(env, fd);
}

Napi::Value PidfdSendSignal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkArgs(info, 2, "pidfdSendSignal")) return env.Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int sig = info[1].As<Napi::Number>().Int32Value();
  if (syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0) != 0) return throwErrno(env, "pidfd_send_signal", errno);
  return env.Undefined();
}

// poll(fds, timeoutMs) -> revents[]: POLLIN interest on each fd; -1 timeout waits forever.
Napi::Value Poll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkArgs(info, 2, "poll")) return env.Undefined();
  Napi::Array in = info[0].As<Napi::Array>();
  int timeout = info[1].As<Napi::Number>().Int32Value();
  std::vector<pollfd> fds(in.Length());
  for (uint32_t i = 0; i < in.Length(); i++) fds[i] = {in.Get(i).As<Napi::Number>().Int32Value(), POLLIN, 0};
  int n;
  while ((n = poll(fds.data(), fds.size(), timeout)) < 0 && errno == EINTR) {}
  if (n < 0) return throwErrno(env, "poll", errno);
  Napi::Array out = Napi::Array::New(env, fds.size());
  for (uint32_t i = 0; i < fds.size(); i++) out.Set(i, Napi::Number::New(env, fds[i].revents));
  return out;
}

// flock(fd, "ex" | "sh" | "un", wait) -> true, or false when !wait and the lock is held elsewhere.
Napi::Value Flock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkArgs(info, 3, "flock")) return env.Undefined();
  int fd = info[0].As<Napi::Number>().Int32Value();
  std::string mode = info[1].As<Napi::String>().Utf8Value();
  bool wait = info[2].As<Napi::Boolean>().Value();
  int op = mode == "ex" ? LOCK_EX : mode == "sh" ? LOCK_SH : LOCK_UN;
  if (!wait) op |= LOCK_NB;
  int rc;
  while ((rc = flock(fd, op)) < 0 && errno == EINTR) {}
  if (rc < 0 && errno == EWOULDBLOCK) return Napi::Boolean::New(env, false);
  if (rc < 0) return throwErrno(env, "flock", errno);
  return Napi::Boolean::New(env, true);
}

// mkfifo(path, mode): exec.fifo, which holds a created container until `start` opens it.
Napi::Value Mkfifo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!checkArgs(info, 2, "mkfifo")) return env.Undefined();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  mode_t mode = static_cast<mode_t>(info[1].As<Napi::Number>().Uint32Value());
  mode_t old = umask(0);
  int rc = mkfifo(path.c_str(), mode);
  int err = errno;
  umask(old);
  if (rc != 0) return throwErrno(env, "mkfifo", err, path);
  return env.Undefined();
}

Napi::Value SetChildSubreaper(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return throwErrno(env, "prctl PR_SET_CHILD_SUBREAPER", errno);
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("prepareLauncher", Napi::Function::New(env, PrepareLauncher));
  exports.Set("spawnLauncher", Napi::Function::New(env, SpawnLauncher));
  exports.Set("waitPid", Napi::Function::New(env, WaitPid));
  exports.Set("waitPidAsync", Napi::Function::New(env, WaitPidAsync));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal));
  exports.Set("poll", Napi::Function::New(env, Poll));
  exports.Set("flock", Napi::Function::New(env, Flock));
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo));
  exports.Set("setChildSubreaper", Napi::Function::New(env, SetChildSubreaper));
  RegisterBpf(env, exports);
  RegisterFdPass(env, exports);
  RegisterFiles(env, exports);
  RegisterPtyWrite(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(tsrunc_addon, Init)
