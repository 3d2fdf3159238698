// File system calls for src/sys/files.ts. Each is one or a few system calls, retried on EINTR;
// every fd it opens is close-on-exec, as Node's are.
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

namespace {

// Node's shape: "ENOENT: no such file or directory, open '/x'" with code, errno, syscall, path.
Napi::Value fail(Napi::Env env, const char* syscall, int err, const std::string& path,
                 const std::string& dest = "") {
  const char* name = strerrorname_np(err);
  std::string code = name ? name : "E" + std::to_string(err);
  std::string text = strerror(err);
  if (!text.empty()) text[0] = static_cast<char>(tolower(static_cast<unsigned char>(text[0])));
  // Calls on an fd name no path, as Node's messages do not.
  std::string msg = code + ": " + text + ", " + syscall + (path.empty() ? "" : " '" + path + "'") +
                    (dest.empty() ? "" : " -> '" + dest + "'");
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  if (!path.empty()) e.Set("path", Napi::String::New(env, path));
  if (!dest.empty()) e.Set("dest", Napi::String::New(env, dest));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

// True when the arguments are present and of the kinds named ('s' string, 'p' path: a string
// without NUL, which the kernel would take as its end and so act on another file; 'n' number).
bool args(const Napi::CallbackInfo& info, const char* name, const char* kinds) {
  for (size_t i = 0; kinds[i]; i++) {
    bool ok = i < info.Length() && (kinds[i] == 'n' ? info[i].IsNumber() : info[i].IsString());
    if (!ok) {
      Napi::TypeError::New(info.Env(), std::string("files.") + name + ": bad arguments").ThrowAsJavaScriptException();
      return false;
    }
    if (kinds[i] == 'p' && info[i].As<Napi::String>().Utf8Value().find('\0') != std::string::npos) {
      Napi::TypeError e = Napi::TypeError::New(info.Env(), std::string(name) + ": the path contains a NUL byte");
      e.Set("code", Napi::String::New(info.Env(), "ERR_INVALID_ARG_VALUE"));
      e.ThrowAsJavaScriptException();
      return false;
    }
  }
  return true;
}

std::string str(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::String>().Utf8Value(); }
int num(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int32Value(); }

// Reads to the end: /proc and cgroup files report a size of 0, so the size is never trusted.
bool readAll(int fd, std::string& out) {
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    out.append(buf, static_cast<size_t>(n));
  }
}

bool writeAll(int fd, const std::string& data) {
  size_t off = 0;
  // One write(2) for the whole value when the kernel takes it (cgroup files parse each write).
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      // A non-blocking fd (a pipe its reader set so, a shared terminal): wait until it takes more,
      // as a blocking write would, rather than fail with half the output written.
      struct pollfd p = {fd, POLLOUT, 0};
      if (poll(&p, 1, -1) < 0 && errno != EINTR) return false;
      continue;
    }
    if (n < 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

int openRetrying(const std::string& path, int flags, mode_t mode) {
  int fd;
  do fd = open(path.c_str(), flags | O_CLOEXEC, mode); while (fd < 0 && errno == EINTR);
  return fd;
}

// readFile(path): the whole file as UTF-8 text.
Napi::Value ReadFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!args(info, "readFile", "p")) return env.Undefined();
  std::string path = str(info, 0);
  int fd = openRetrying(path, O_RDONLY, 0);
  if (fd < 0) return fail(env, "open", errno, path);
  std::string out;
  bool ok = readAll(fd, out);
  int err = errno;
  close(fd);
  if (!ok) return fail(env, "read", err, path);
  return Napi::String::New(env, out);
}

// Opens the path argument with the flags and mode at info[at] and info[at + 1]; -1, the error
// thrown, when it cannot.
int openPathArg(const Napi::CallbackInfo& info, size_t at) {
  std::string path = str(info, 0);
  int fd = openRetrying(path, num(info, at), static_cast<mode_t>(num(info, at + 1)));
  if (fd < 0) fail(info.Env(), "open", errno, path);
  return fd;
}

// writeFile(path, data, flags, mode)
Napi::Value WriteFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!args(info, "writeFile", "psnn")) return env.Undefined();
  int fd = openPathArg(info, 2);
  if (fd < 0) return env.Undefined();
  bool ok = writeAll(fd, str(info, 1));
  int err = errno;
  close(fd);
  if (!ok) return fail(env, "write", err, str(info, 0));
  return env.Undefined();
}

// open(path, flags, mode): the fd.
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!args(info, "open", "pnn")) return env.Undefined();
  int fd = openPathArg(info, 1);
  if (fd < 0) return env.Undefined();
  return Napi::Number::New(env, fd);
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!args(info, "close", "n")) return env.Undefined();
  // Never retried: after EINTR the fd is closed already (Linux).
  if (close(num(info, 0)) != 0 && errno != EINTR) return fail(env, "close", errno, "");
  return env.Undefined();
}

// read(fd, max): up to max bytes as text; "" at the end of the file.
Napi::Value Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!args(info, "read", "nn")) return env.Undefined();
  int max = num(info, 1);
  if (max <= 0 || max > (1 << 20)) max = 1 << 16;
  std::string buf(static_cast<size_t>(max), '\0');
  ssize_t n;
  do n = read(num(info, 0), &buf[0], buf.size()); while (n < 0 && errno == EINTR);
  if (n < 0) return fail(env, "read", errno, "");
  buf.resize(static_cast<size_t>(n));
  return Napi::String::New(env, buf);
}

// write(fd, text): writes all of it; the byte count.
Napi::Value Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!args(info, "write", "ns")) return env.Undefined();
  std::string data = str(info, 1);
  if (!writeAll(num(info, 0), data)) return fail(env, "write", errno, "");
  return Napi::Number::New(env, static_cast<double>(data.size()));
}

Napi::Value statResult(Napi::Env env, const struct stat& st) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("mode", Napi::Number::New(env, st.st_mode));
  o.Set("uid", Napi::Number::New(env, st.st_uid));
  o.Set("gid", Napi::Number::New(env, st.st_gid));
  o.Set("size", Napi::Number::New(env, static_cast<double>(st.st_size)));
  // As Node's numbers: exact below 2^53, which nsfs and the usual file systems' inodes are.
  o.Set("dev", Napi::Number::New(env, static_cast<double>(st.st_dev)));
  o.Set("ino", Napi::Number::New(env, static_cast<double>(st.st_ino)));
  return o;
}

// The calls that take a path (and a number: a mode) and answer 0, or -1 with errno.
using PathCall = int (*)(const std::string& path, int number);

Napi::Value pathCall(const Napi::CallbackInfo& info, const char* name, const char* kinds, PathCall call) {
  Napi::Env env = info.Env();
  if (!args(info, name, kinds)) return env.Undefined();
  std::string path = str(info, 0);
  if (call(path, kinds[1] == 'n' ? num(info, 1) : 0) != 0) return fail(env, name, errno, path);
  return env.Undefined();
}

Napi::Value Mkdir(const Napi::CallbackInfo& info) {
  return pathCall(info, "mkdir", "pn", [](const std::string& p, int mode) { return mkdir(p.c_str(), static_cast<mode_t>(mode)); });
}
Napi::Value Rmdir(const Napi::CallbackInfo& info) {
  return pathCall(info, "rmdir", "p", [](const std::string& p, int) { return rmdir(p.c_str()); });
}
Napi::Value Unlink(const Napi::CallbackInfo& info) {
  return pathCall(info, "unlink", "p", [](const std::string& p, int) { return unlink(p.c_str()); });
}
Napi::Value Access(const Napi::CallbackInfo& info) {
  return pathCall(info, "access", "pn", [](const std::string& p, int mode) { return access(p.c_str(), mode); });
}
Napi::Value Chmod(const Napi::CallbackInfo& info) {
  return pathCall(info, "chmod", "pn", [](const std::string& p, int mode) { return chmod(p.c_str(), static_cast<mode_t>(mode)); });
}

// stat(path) and lstat(path): mode, uid, gid, size, dev, ino.
Napi::Value statCall(const Napi::CallbackInfo& info, bool follow) {
  Napi::Env env = info.Env();
  const char* name = follow ? "stat" : "lstat";
  if (!args(info, name, "p")) return env.Undefined();
  std::string path = str(info, 0);
  struct stat st;
  if ((follow ? stat(path.c_str(), &st) : lstat(path.c_str(), &st)) != 0) return fail(env, name, errno, path);
  return statResult(env, st);
}
Napi::Value Stat(const Napi::CallbackInfo& info) { return statCall(info, true); }
Napi::Value Lstat(const Napi::CallbackInfo& info) { return statCall(info, false); }

// readdir(path): [name, type, name, type, ...] without . and ..; type is the S_IFMT bits of the
// entry, or 0 when the file system does not say (the caller then asks lstat).
Napi::Value Readdir(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!args(info, "readdir", "p")) return env.Undefined();
  std::string path = str(info, 0);
  int fd = openRetrying(path, O_RDONLY | O_DIRECTORY, 0);
  if (fd < 0) return fail(env, "scandir", errno, path);
  DIR* dir = fdopendir(fd);
  if (!dir) { int err = errno; close(fd); return fail(env, "scandir", err, path); }
  Napi::Array out = Napi::Array::New(env);
  uint32_t i = 0;
  for (;;) {
    errno = 0;
    struct dirent* d = readdir(dir);
    if (!d) break;
    if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0) continue;
    out.Set(i++, Napi::String::New(env, d->d_name));
    out.Set(i++, Napi::Number::New(env, d->d_type == DT_UNKNOWN ? 0 : DTTOIF(d->d_type)));
  }
  int err = errno;
  closedir(dir);
  if (err != 0) return fail(env, "scandir", err, path);
  return out;
}

Napi::Value Rename(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!args(info, "rename", "pp")) return env.Undefined();
  std::string from = str(info, 0), to = str(info, 1);
  if (rename(from.c_str(), to.c_str()) != 0) return fail(env, "rename", errno, from, to);
  return env.Undefined();
}

// rename(2)'s atomic switch, for a file the runtime rewrites (state.json). When `to` exists the two
// names are exchanged and the old file, now at `from`, is unlinked: ext4 writes a file renamed over
// another out at once (auto_da_alloc), which made unlinking it at delete cost 0.3 to 0.5 ms.
Napi::Value Replace(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!args(info, "replace", "pp")) return env.Undefined();
  std::string from = str(info, 0), to = str(info, 1);
  if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_EXCHANGE) == 0) {
    if (unlink(from.c_str()) == 0 || errno == ENOENT) return env.Undefined();
    int err = errno;
    // `to` was a directory, which rename(2) would have refused: put it back and say so.
    renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_EXCHANGE);
    return fail(env, "rename", err, from, to);
  }
  // No `to` yet, or a file system without RENAME_EXCHANGE: a plain rename, with its own errors.
  if (rename(from.c_str(), to.c_str()) != 0) return fail(env, "rename", errno, from, to);
  return env.Undefined();
}

Napi::Value Readlink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!args(info, "readlink", "p")) return env.Undefined();
  std::string path = str(info, 0);
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf);
  if (n < 0) return fail(env, "readlink", errno, path);
  if (static_cast<size_t>(n) == sizeof buf) return fail(env, "readlink", ENAMETOOLONG, path);
  return Napi::String::New(env, buf, static_cast<size_t>(n));
}

// realpath(path): absolute, without symbolic links, . or ..; the file must exist.
Napi::Value Realpath(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!args(info, "realpath", "p")) return env.Undefined();
  std::string path = str(info, 0);
  char* resolved = realpath(path.c_str(), nullptr);
  if (!resolved) return fail(env, "realpath", errno, path);
  Napi::String out = Napi::String::New(env, resolved);
  free(resolved);
  return out;
}

Napi::Object constants(Napi::Env env) {
  Napi::Object c = Napi::Object::New(env);
  auto set = [&](const char* name, int value) { c.Set(name, Napi::Number::New(env, value)); };
  set("O_RDONLY", O_RDONLY); set("O_WRONLY", O_WRONLY); set("O_RDWR", O_RDWR);
  set("O_CREAT", O_CREAT); set("O_EXCL", O_EXCL); set("O_TRUNC", O_TRUNC); set("O_APPEND", O_APPEND);
  set("O_DIRECTORY", O_DIRECTORY); set("O_NONBLOCK", O_NONBLOCK); set("O_NOFOLLOW", O_NOFOLLOW);
  set("F_OK", F_OK); set("R_OK", R_OK); set("W_OK", W_OK); set("X_OK", X_OK);
  set("S_IFMT", S_IFMT); set("S_IFDIR", S_IFDIR); set("S_IFREG", S_IFREG); set("S_IFLNK", S_IFLNK); set("S_IFSOCK", S_IFSOCK);
  return c;
}

// The signal numbers of this machine by name, as `kill` accepts them (the real-time ones are
// given by number).
Napi::Object signals(Napi::Env env) {
  Napi::Object s = Napi::Object::New(env);
  auto set = [&](const char* name, int value) { s.Set(name, Napi::Number::New(env, value)); };
  set("SIGHUP", SIGHUP); set("SIGINT", SIGINT); set("SIGQUIT", SIGQUIT); set("SIGILL", SIGILL);
  set("SIGTRAP", SIGTRAP); set("SIGABRT", SIGABRT); set("SIGIOT", SIGIOT); set("SIGBUS", SIGBUS);
  set("SIGFPE", SIGFPE); set("SIGKILL", SIGKILL); set("SIGUSR1", SIGUSR1); set("SIGSEGV", SIGSEGV);
  set("SIGUSR2", SIGUSR2); set("SIGPIPE", SIGPIPE); set("SIGALRM", SIGALRM); set("SIGTERM", SIGTERM);
#ifdef SIGSTKFLT
  set("SIGSTKFLT", SIGSTKFLT);
#endif
  set("SIGCHLD", SIGCHLD); set("SIGCONT", SIGCONT); set("SIGSTOP", SIGSTOP); set("SIGTSTP", SIGTSTP);
  set("SIGTTIN", SIGTTIN); set("SIGTTOU", SIGTTOU); set("SIGURG", SIGURG); set("SIGXCPU", SIGXCPU);
  set("SIGXFSZ", SIGXFSZ); set("SIGVTALRM", SIGVTALRM); set("SIGPROF", SIGPROF); set("SIGWINCH", SIGWINCH);
  set("SIGIO", SIGIO); set("SIGPOLL", SIGPOLL); set("SIGPWR", SIGPWR); set("SIGSYS", SIGSYS);
  return s;
}

}  // namespace

void RegisterFiles(Napi::Env env, Napi::Object exports) {
  Napi::Object f = Napi::Object::New(env);
  f.Set("readFile", Napi::Function::New(env, ReadFile));
  f.Set("writeFile", Napi::Function::New(env, WriteFile));
  f.Set("open", Napi::Function::New(env, Open));
  f.Set("close", Napi::Function::New(env, Close));
  f.Set("read", Napi::Function::New(env, Read));
  f.Set("write", Napi::Function::New(env, Write));
  f.Set("stat", Napi::Function::New(env, Stat));
  f.Set("lstat", Napi::Function::New(env, Lstat));
  f.Set("readdir", Napi::Function::New(env, Readdir));
  f.Set("mkdir", Napi::Function::New(env, Mkdir));
  f.Set("rmdir", Napi::Function::New(env, Rmdir));
  f.Set("unlink", Napi::Function::New(env, Unlink));
  f.Set("rename", Napi::Function::New(env, Rename));
  f.Set("replace", Napi::Function::New(env, Replace));
  f.Set("readlink", Napi::Function::New(env, Readlink));
  f.Set("realpath", Napi::Function::New(env, Realpath));
  f.Set("access", Napi::Function::New(env, Access));
  f.Set("chmod", Napi::Function::New(env, Chmod));
  f.Set("constants", constants(env));
  f.Set("signals", signals(env));
  exports.Set("files", f);
}
