#include "log.h"

#include <time.h>

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
uint64_t realtimeUsec() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

void sendLog(const char* level, const std::string& msg) {
  gChannel->send(msg::Log{level, msg, realtimeUsec()});
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
