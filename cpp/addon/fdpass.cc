// Unix sockets that carry file descriptors, and the terminal ioctls on a pty master.
//
// The --console-socket protocol (what runc sends and containerd's shim and conmon receive): the
// runtime connects to the socket, and one sendmsg carries the pty's name as data and the master
// as the only SCM_RIGHTS descriptor. recvFd accepts exactly that and nothing looser: a message
// with no descriptor, several, or a truncated control part is an error, and every descriptor that
// did arrive is closed so none leaks into this process.
//
// Everything blocks the calling thread, at most timeoutMs where there is a timeout (negative
// waits forever). Callers on the event loop pass small timeouts and retry from a timer.
//
// Errors carry code (the errno name), errno, syscall and, where one is involved, path, like the
// rest of the addon: "connect /run/x.sock: No such file or directory (ENOENT)".
#include "fdpass.h"

#include "../common/fdpass.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

namespace {

// Bigger than any pty name; runc refuses names of 4096 bytes or more as well.
const size_t kMaxData = 4096;

Napi::Value fail(Napi::Env env, const std::string& syscall, int err, const std::string& path = "",
                 const std::string& detail = "") {
  const char* name = strerrorname_np(err);
  std::string msg = syscall + (path.empty() ? "" : " " + path) + ": " +
                    (detail.empty() ? std::string(strerror(err)) : detail) +
                    " (" + (name ? name : "errno " + std::to_string(err)) + ")";
  Napi::Error e = Napi::Error::New(env, msg);
  if (name) e.Set("code", Napi::String::New(env, name));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  if (!path.empty()) e.Set("path", Napi::String::New(env, path));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value typeError(Napi::Env env, const std::string& text) {
  Napi::TypeError::New(env, text).ThrowAsJavaScriptException();
  return env.Undefined();
}

// True when every argument is present and of the kind named in `kinds` ('s' string, 'n' number).
bool argsAre(const Napi::CallbackInfo& info, const char* name, const char* kinds, const char* signature) {
  bool ok = true;
  for (size_t i = 0; kinds[i] && ok; i++) {
    if (i >= info.Length()) ok = false;
    else if (kinds[i] == 's') ok = info[i].IsString();
    else ok = info[i].IsNumber();
  }
  if (!ok) typeError(info.Env(), std::string(name) + ": expected " + signature);
  return ok;
}

int intArg(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int32Value(); }

long long nowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Waits until fd is readable (or hung up, which the following call then reports). Returns 0, or
// an errno: ETIMEDOUT once timeoutMs has passed, whatever poll failed with otherwise.
int waitReadable(int fd, int timeoutMs) {
  long long deadline = timeoutMs < 0 ? -1 : nowMs() + timeoutMs;
  for (;;) {
    int left = deadline < 0 ? -1 : static_cast<int>(std::max(0LL, deadline - nowMs()));
    struct pollfd p = {fd, POLLIN, 0};
    int n = poll(&p, 1, left);
    if (n > 0) return (p.revents & POLLNVAL) ? EBADF : 0;
    if (n == 0) return ETIMEDOUT;
    if (errno != EINTR) return errno;
  }
}

// listenUnix(path) -> fd: a listening stream socket bound at path (which must not exist).
Napi::Value ListenUnix(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!argsAre(info, "listenUnix", "s", "(path: string)")) return env.Undefined();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int err = 0;
  const char* op = "";
  int fd = fdpass::unixSocket(path, true, err, op);
  if (fd < 0) return fail(env, op, err, path);
  if (listen(fd, 8) != 0) {
    int err = errno;
    close(fd);
    return fail(env, "listen", err, path);
  }
  return Napi::Number::New(env, fd);
}

// acceptUnix(listenFd, timeoutMs) -> fd of the accepted connection (close-on-exec).
Napi::Value AcceptUnix(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!argsAre(info, "acceptUnix", "nn", "(listenFd: number, timeoutMs: number)")) return env.Undefined();
  int lfd = intArg(info, 0);
  int timeout = intArg(info, 1);
  int err = waitReadable(lfd, timeout);
  if (err != 0) return fail(env, "accept", err);
  int fd;
  while ((fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC)) < 0 && errno == EINTR) {}
  if (fd < 0) return fail(env, "accept", errno);
  return Napi::Number::New(env, fd);
}

// connectUnix(path) -> fd of a stream socket connected to path (close-on-exec).
Napi::Value ConnectUnix(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!argsAre(info, "connectUnix", "s", "(path: string)")) return env.Undefined();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int err = 0;
  const char* op = "";
  int fd = fdpass::unixSocket(path, false, err, op);
  if (fd < 0) return fail(env, op, err, path);
  return Napi::Number::New(env, fd);
}

// recvFd(sock, timeoutMs) -> { fd, data }: one message carrying exactly one descriptor, which
// arrives close-on-exec (MSG_CMSG_CLOEXEC: never inherited by a child spawned meanwhile).
Napi::Value RecvFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!argsAre(info, "recvFd", "nn", "(sock: number, timeoutMs: number)")) return env.Undefined();
  int sock = intArg(info, 0);
  int timeout = intArg(info, 1);
  int err = waitReadable(sock, timeout);
  if (err != 0) return fail(env, "recvmsg", err);

  std::vector<char> data(kMaxData);
  std::vector<int> fds;
  bool truncated = false;
  ssize_t n;
  while ((n = fdpass::recvWithFds(sock, data.data(), data.size(), fds, truncated)) < 0 && errno == EINTR) {}
  if (n < 0) return fail(env, "recvmsg", errno);

  auto closeAll = [&fds]() { for (int fd : fds) close(fd); };
  if (truncated) {
    closeAll();
    return fail(env, "recvmsg", EMSGSIZE, "", "more descriptors than expected; control data truncated");
  }
  if (fds.empty()) {
    return fail(env, "recvmsg", ENOMSG, "",
                n == 0 ? "the peer closed the connection without sending a file descriptor"
                       : "a message without a file descriptor");
  }
  if (fds.size() != 1) {
    size_t got = fds.size();
    closeAll();
    return fail(env, "recvmsg", EBADMSG, "", "expected 1 file descriptor, got " + std::to_string(got));
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("fd", Napi::Number::New(env, fds[0]));
  out.Set("data", Napi::String::New(env, data.data(), static_cast<size_t>(n)));
  return out;
}

// sendFd(sock, fd, data): one message with data and fd as its only descriptor. A stream socket
// drops control data sent with no data byte, so an empty data is sent as one NUL byte.
Napi::Value SendFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!argsAre(info, "sendFd", "nns", "(sock: number, fd: number, data: string)")) return env.Undefined();
  int sock = intArg(info, 0);
  int fd = intArg(info, 1);
  std::string data = info[2].As<Napi::String>().Utf8Value();
  if (data.size() >= kMaxData) return typeError(env, "sendFd: data must be shorter than 4096 bytes");
  if (fdpass::sendWithFd(sock, data, fd) < 0) return fail(env, "sendmsg", errno);
  return env.Undefined();
}

Napi::Value SetWinsize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!argsAre(info, "setWinsize", "nnn", "(fd: number, rows: number, cols: number)")) return env.Undefined();
  int fd = intArg(info, 0);
  int rows = intArg(info, 1), cols = intArg(info, 2);
  if (rows < 0 || rows > 0xffff || cols < 0 || cols > 0xffff) {
    return typeError(env, "setWinsize: rows and cols must be between 0 and 65535, got " +
                              std::to_string(rows) + "x" + std::to_string(cols));
  }
  struct winsize ws;
  memset(&ws, 0, sizeof(ws));
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  if (ioctl(fd, TIOCSWINSZ, &ws) != 0) return fail(env, "ioctl TIOCSWINSZ", errno);
  return env.Undefined();
}

Napi::Value GetWinsize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!argsAre(info, "getWinsize", "n", "(fd: number)")) return env.Undefined();
  struct winsize ws;
  if (ioctl(intArg(info, 0), TIOCGWINSZ, &ws) != 0) return fail(env, "ioctl TIOCGWINSZ", errno);
  Napi::Object out = Napi::Object::New(env);
  out.Set("rows", Napi::Number::New(env, ws.ws_row));
  out.Set("cols", Napi::Number::New(env, ws.ws_col));
  return out;
}

// ptsName(masterFd) -> "/dev/pts/N", N as the master's own devpts instance numbers it (inside a
// container's devpts, the name is only meaningful in the container's mount namespace).
Napi::Value PtsName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!argsAre(info, "ptsName", "n", "(masterFd: number)")) return env.Undefined();
  unsigned int n = 0;
  if (ioctl(intArg(info, 0), TIOCGPTN, &n) != 0) return fail(env, "ioctl TIOCGPTN", errno);
  return Napi::String::New(env, "/dev/pts/" + std::to_string(n));
}

// clearOnlcr(fd): output "\n" stays "\n" (runc does this on a master it proxies itself: the
// caller's terminal, left with output processing on, adds the "\r" once).
Napi::Value ClearOnlcr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!argsAre(info, "clearOnlcr", "n", "(fd: number)")) return env.Undefined();
  int fd = intArg(info, 0);
  struct termios t;
  if (tcgetattr(fd, &t) != 0) return fail(env, "tcgetattr", errno);
  t.c_oflag &= ~static_cast<tcflag_t>(ONLCR);
  if (tcsetattr(fd, TCSANOW, &t) != 0) return fail(env, "tcsetattr", errno);
  return env.Undefined();
}

// dupFd(fd) -> a close-on-exec duplicate (same open file description, so same flags and offset).
Napi::Value DupFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!argsAre(info, "dupFd", "n", "(fd: number)")) return env.Undefined();
  int fd = fcntl(intArg(info, 0), F_DUPFD_CLOEXEC, 3);
  if (fd < 0) return fail(env, "fcntl F_DUPFD_CLOEXEC", errno);
  return Napi::Number::New(env, fd);
}

}  // namespace

void RegisterFdPass(Napi::Env env, Napi::Object exports) {
  exports.Set("listenUnix", Napi::Function::New(env, ListenUnix));
  exports.Set("acceptUnix", Napi::Function::New(env, AcceptUnix));
  exports.Set("connectUnix", Napi::Function::New(env, ConnectUnix));
  exports.Set("recvFd", Napi::Function::New(env, RecvFd));
  exports.Set("sendFd", Napi::Function::New(env, SendFd));
  exports.Set("setWinsize", Napi::Function::New(env, SetWinsize));
  exports.Set("getWinsize", Napi::Function::New(env, GetWinsize));
  exports.Set("ptsName", Napi::Function::New(env, PtsName));
  exports.Set("clearOnlcr", Napi::Function::New(env, ClearOnlcr));
  exports.Set("dupFd", Napi::Function::New(env, DupFd));
}
