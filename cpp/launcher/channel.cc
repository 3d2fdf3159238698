#include "channel.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "../common/fdpass.h"
#include "sys.h"

namespace {
bool writeAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}
}  // namespace

bool Channel::sendJson(const json::Value& msg) const {
  std::string text = msg.dump();
  if (stream_) {
    text += '\n';
    return writeAll(fd_, text);
  }
  for (;;) {
    ssize_t n = ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL);
    if (n >= 0) return true;
    if (errno != EINTR) return false;
  }
}

bool Channel::recv(json::Value& msg) {
  std::string text;
  if (stream_) {
    size_t nl;
    while ((nl = buffer_.find('\n')) == std::string::npos) {
      char chunk[65536];
      ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (n == 0) errno = 0;
        return false;
      }
      buffer_.append(chunk, static_cast<size_t>(n));
    }
    text = buffer_.substr(0, nl);
    buffer_.erase(0, nl + 1);
  } else {
    // Peek at the size first: a SEQPACKET read into a short buffer would truncate the message.
    bool resetSeen = false;
    for (;;) {
      ssize_t size = ::recv(fd_, nullptr, 0, MSG_PEEK | MSG_TRUNC);
      if (size < 0 && errno == EINTR) continue;
      // A peer that exits with our last message unread (the init failing as "go" arrives) leaves
      // ECONNRESET pending, reported once, ahead of what it sent before exiting (its error).
      if (size < 0 && errno == ECONNRESET && !resetSeen) { resetSeen = true; continue; }
      if (size <= 0) {
        if (size == 0) errno = 0;
        return false;
      }
      std::vector<char> buf(static_cast<size_t>(size));
      // A message may carry one fd (the console or the seccomp notify fd); any more are closed.
      std::vector<int> fds;
      bool truncated = false;
      ssize_t n = fdpass::recvWithFds(fd_, buf.data(), buf.size(), fds, truncated);
      for (size_t i = 0; i < fds.size(); i++) {
        if (i > 0) { ::close(fds[i]); continue; }
        if (receivedFd_ >= 0) ::close(receivedFd_);
        receivedFd_ = fds[i];
      }
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      text.assign(buf.data(), static_cast<size_t>(n));
      break;
    }
  }
  if (!json::parse(text, msg, parseError_)) {
    errno = EBADMSG;
    return false;
  }
  return true;
}

msg::Error failureMessage(const Failure& f) {
  msg::Error e;
  e.step = f.step;
  e.op = f.op;
  e.path = f.path;
  e.err = f.err;
  e.error = f.err ? errnoText(f.err) : "";
  e.message = f.message;
  return e;
}

Failure failureFrom(const msg::Error& e) { return Failure{e.step, e.op, e.path, e.err, e.message}; }

bool Channel::sendJsonWithFd(const json::Value& msg, int fd) const { return fdpass::sendWithFd(fd_, msg.dump(), fd) >= 0; }

int Channel::takeReceivedFd() {
  int fd = receivedFd_;
  receivedFd_ = -1;
  return fd;
}

bool Channel::sendFailure(const Failure& f) const { return send(failureMessage(f)); }

Result Channel::expectType(const char* type, json::Value& msg) {
  if (!recv(msg)) {
    int e = errno;
    return failWith(e ? std::string("reading from the launcher channel: ") + errnoText(e)
                      : std::string("the other side of the launcher channel went away"), e);
  }
  std::string got = msg.str("type");
  if (got == msg::Error::kType) {
    msg::Error error;
    TRY(decode(msg, error));
    return failureFrom(error);
  }
  if (got != type) return failWith("launcher protocol: expected \"" + std::string(type) + "\", got \"" + got + "\"", EPROTO);
  return ok();
}

// The two answer channels are awaited by type (expect<T>), not dispatched by a switch. These
// switches (no default; the launcher builds with -Werror=switch) say where each answer is awaited,
// so a message added to one of them in the contract fails the build until something awaits it.
[[maybe_unused]] static const char* awaitedBy(CliToLauncher m) {
  switch (m) {
    case CliToLauncher::CgroupsReady: return "main, before the cgroup is opened for clone3";
    case CliToLauncher::HookDone: return "Launcher::dispatch, after the runtime's hooks";
    case CliToLauncher::Commit: return "Launcher::finishLaunch";
  }
  return "";
}

[[maybe_unused]] static const char* awaitedBy(LauncherToStage m) {
  switch (m) {
    case LauncherToStage::IdmapDone: return "runStage1, after unshare(CLONE_NEWUSER)";
    case LauncherToStage::IdmappedMount: return "receiveIdmappedMounts in the init, before go";
    case LauncherToStage::Go: return "runInit and runExecProcess, before setting up";
    case LauncherToStage::HookDone: return "waitForHooks in the init";
    case LauncherToStage::Commit: return "runInit, after ready";
  }
  return "";
}
