// Typed messages over a socket. The launcher talks to the CLI over a stream socket (one JSON
// object a line, so a plan of any size fits) and to its own stages over a SEQPACKET socketpair.
// The messages are the structs generated from src/contract/launcher.contract.json (msg::Go, ...);
// a receiver switches on the enum of its channel (StageToLauncher, ...).
#pragma once
#include <string>

#include "../common/generated/contract.h"
#include "failure.h"

class Channel {
 public:
  Channel() = default;
  Channel(int fd, bool stream) : fd_(fd), stream_(stream) {}
  int fd() const { return fd_; }
  // The same channel on another descriptor (the caller closes the old one): what a recv() read
  // beyond its message (the CLI may send the next one right behind the plan) stays buffered.
  void moveToFd(int fd) { fd_ = fd; }

  template <class Message>
  bool send(const Message& m) const { return sendJson(toJson(m)); }
  // SEQPACKET only: a message with one fd attached; the receiver takes it with takeReceivedFd().
  template <class Message>
  bool sendWithFd(const Message& m, int fd) const { return sendJsonWithFd(toJson(m), fd); }
  bool sendFailure(const Failure& f) const;

  // Receives one message. Returns false on EOF or error (errno says which; 0 for EOF).
  bool recv(json::Value& msg);
  // Why the last recv() failed with EBADMSG: the JSON parser's reason and offset.
  const std::string& parseError() const { return parseError_; }
  int takeReceivedFd();

  // Waits for a message of type Message; an error message, EOF or a malformed message comes back
  // as a Failure.
  template <class Message>
  Result expect(Message* out = nullptr) {
    json::Value v;
    TRY(expectType(Message::kType, v));
    Message m;
    TRY(decode(v, m));
    if (out) *out = std::move(m);
    return ok();
  }

  // A received message as its generated struct, or the protocol failure naming what is wrong.
  template <class Message>
  static Result decode(const json::Value& v, Message& out) {
    std::string error;
    if (!fromJson(v, out, "launcher protocol: message", error)) return failWith(error, EPROTO);
    return ok();
  }

 private:
  bool sendJson(const json::Value& msg) const;
  bool sendJsonWithFd(const json::Value& msg, int fd) const;
  Result expectType(const char* type, json::Value& out);

  int fd_ = -1;
  bool stream_ = false;
  std::string buffer_;
  std::string parseError_;
  int receivedFd_ = -1;
};

msg::Error failureMessage(const Failure& f);
Failure failureFrom(const msg::Error& e);
