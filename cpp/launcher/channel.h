// Typed JSON messages over a socket. The launcher talks to the CLI over a stream socket (one JSON
// object a line, so a plan of any size fits) and to its own stages over a SEQPACKET socketpair.
#pragma once
#include <string>

#include "../common/json.h"
#include "failure.h"

class Channel {
 public:
  Channel() = default;
  Channel(int fd, bool stream) : fd_(fd), stream_(stream) {}
  int fd() const { return fd_; }

  bool send(const json::Value& msg) const;
  // Receives one message. Returns false on EOF or error (errno says which; 0 for EOF).
  bool recv(json::Value& msg);

  // SEQPACKET only: a message with one fd attached; the receiver takes it with takeReceivedFd().
  bool sendWithFd(const json::Value& msg, int fd) const;
  int takeReceivedFd();

  bool sendFailure(const Failure& f) const;
  bool sendType(const char* type) const;
  // Waits for a message of the given type; a failure message or EOF comes back as a Failure.
  Result expect(const char* type, json::Value* out = nullptr);

 private:
  int fd_ = -1;
  bool stream_ = false;
  std::string buffer_;
  int receivedFd_ = -1;
};

json::Value failureToJson(const Failure& f);
Failure failureFromJson(const json::Value& v);
