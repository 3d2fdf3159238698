// Unix sockets that carry file descriptors (the --console-socket protocol: one message whose data
// is the pty's name and whose SCM_RIGHTS control message carries the master), and the terminal
// ioctls the runtime needs on a pty master.
#pragma once

#include <napi.h>

// Adds listenUnix, acceptUnix, connectUnix, recvFd, sendFd, setWinsize, getWinsize, ptsName,
// clearOnlcr and dupFd to the addon's exports.
void RegisterFdPass(Napi::Env env, Napi::Object exports);
