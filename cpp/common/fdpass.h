// Unix sockets that carry file descriptors (SCM_RIGHTS): written once for the launcher (its
// stages' channel, --console-socket, the seccomp agent) and the addon (the console sockets tsrunc
// listens on or connects to). Plain system calls with errno results; each side words its errors.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

namespace fdpass {

// A unix stream socket (close-on-exec) bound to path (bindIt) or connected to it. Returns the fd,
// or -1 with err set and op naming the call that failed ("socket", "bind", "connect"); a path
// that is empty or too long for sun_path fails as ENAMETOOLONG. A unix connect completes at once
// or fails, so it is not restarted after EINTR.
int unixSocket(const std::string& path, bool bindIt, int& err, const char*& op);
inline int connectUnix(const std::string& path, int& err) {
  const char* op;
  return unixSocket(path, false, err, op);
}

// One message whose only descriptor is fd. The descriptor travels with the first byte: on a
// stream socket what a short write left is sent plainly after it; an empty data is sent as one
// NUL byte (a stream socket drops control data that has no data byte). Retries on EINTR.
// Returns the bytes sent, or -1 with errno set.
ssize_t sendWithFd(int sock, const std::string& data, int fd);

// One recvmsg (MSG_CMSG_CLOEXEC: never inherited by a child spawned meanwhile) into buf. Every
// descriptor that came with it is appended to fds, room is made for more than one so that extra
// descriptors arrive (to be closed) rather than vanish; truncated is set when the kernel still cut
// the control part (MSG_CTRUNC). Returns the data size, or -1 with errno set (EINTR included).
ssize_t recvWithFds(int sock, char* buf, size_t size, std::vector<int>& fds, bool& truncated);

}  // namespace fdpass
