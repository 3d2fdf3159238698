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
  gChannel->send(msg::Log{level, msg});
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
