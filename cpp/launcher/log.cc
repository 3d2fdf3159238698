#include "log.h"

#include "channel.h"

namespace {
const Channel* gChannel = nullptr;
bool gDebug = false;
}  // namespace

void setLogChannel(const Channel* channel, bool debug) {
  gChannel = channel;
  gDebug = debug;
}

void debugLog(const std::string& msg) {
  if (!gDebug || !gChannel) return;
  json::Value v = json::Value::object();
  v.set("type", json::Value::string("log"));
  v.set("level", json::Value::string("debug"));
  v.set("msg", json::Value::string(msg));
  gChannel->send(v);
}
