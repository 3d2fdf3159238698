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

namespace {
void sendLog(const char* level, const std::string& msg) {
  json::Value v = json::Value::object();
  v.set("type", json::Value::string("log"));
  v.set("level", json::Value::string(level));
  v.set("msg", json::Value::string(msg));
  gChannel->send(v);
}
}  // namespace

void debugLog(const std::string& msg) {
  if (!gDebug || !gChannel) return;
  sendLog("debug", msg);
}

void infoLog(const std::string& msg) {
  if (!gChannel) return;
  sendLog("info", msg);
}
