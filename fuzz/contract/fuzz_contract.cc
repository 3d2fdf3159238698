// libFuzzer target for what the launcher parses from tsrunc: the JSON codec (cpp/common/json.cc)
// and the parsers generated from the contract (cpp/common/generated/contract.cc). Any input may
// be refused, but never crash, hang or leak; whatever is accepted must survive a round trip:
// a value dumps to JSON that parses to the same dump, and a plan or message that parses writes
// JSON that parses back to the same thing. The launcher's plan reader is fuzzed as it runs: the
// input goes through a Channel (the stream socket's line framing the plan arrives by, and the
// SEQPACKET framing of the stages) and each message through parsePlan, which must refuse with a
// message or accept a plan that satisfies what it promises. Built and run by
// scripts/fuzz-contract.sh (and briefly by test/integration/launcher/contract.test.ts).
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "../../cpp/common/generated/contract.h"
#include "../../cpp/common/json.h"
#include "../../cpp/launcher/channel.h"
#include "../../cpp/launcher/plan.h"

namespace {

[[noreturn]] void broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "contract fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

template <class T>
void roundTrip(const json::Value& v, const char* name) {
  T first;
  std::string error;
  if (!fromJson(v, first, name, error)) {
    if (error.empty()) broken(name, "refused without a reason");
    return;
  }
  std::string text = toJson(first).dump();
  json::Value back;
  if (!json::parse(text, back, error)) broken(name, "its own output does not parse: " + error + ": " + text);
  T second;
  if (!fromJson(back, second, name, error)) broken(name, "its own output is refused: " + error + ": " + text);
  if (toJson(second).dump() != text) broken(name, "the round trip changed it: " + text);
}

template <class Channel>
void channelType(const json::Value& v) {
  Channel type;
  (void)messageType(v, type);
}

// What main() does with a message: parsePlan either refuses it with a reason or hands back a plan
// whose promises hold (an exec plan has a process and a target, a create plan a rootfs).
void readPlan(const json::Value& v) {
  Plan plan;
  if (Result r = parsePlan(v, plan)) {
    if (r->message.empty() && r->op.empty()) broken("parsePlan", "refused without a reason");
    return;
  }
  if (isExec(plan) && (!plan.process || !plan.targetInit)) broken("parsePlan", "an exec plan without its process or target");
  if (!isExec(plan) && plan.rootfs.empty()) broken("parsePlan", "a create plan without a rootfs");
}

// The bytes as they would arrive on the launcher's channels: over a stream socket, read line by line
// (every complete line a message, until EOF), and as one SEQPACKET message. Inputs larger than a
// socket buffer are skipped here (the writer would block; the plan is read the same way whatever its size).
void throughChannels(const std::string& text) {
  if (text.size() > 100000) return;
  for (int type : {SOCK_STREAM, SOCK_SEQPACKET}) {
    int sv[2];
    if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) != 0) broken("socketpair", std::to_string(errno));
    if (!text.empty() && ::send(sv[1], text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size()))
      broken("send", std::to_string(errno));
    ::close(sv[1]);
    Channel ch(sv[0], type == SOCK_STREAM);
    json::Value msg;
    int messages = 0;
    while (ch.recv(msg)) {
      readPlan(msg);
      if (++messages > 100000) broken("channel", "more messages than bytes");
    }
    if (errno != 0 && errno != EBADMSG) broken("channel", "recv ended with errno " + std::to_string(errno));
    ::close(sv[0]);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  throughChannels(text);
  json::Value v;
  std::string error;
  if (!json::parse(text, v, error)) {
    if (error.empty()) broken("json", "refused without a reason");
    return 0;
  }
  std::string once = v.dump();
  json::Value again;
  if (!json::parse(once, again, error)) broken("json", "its own output does not parse: " + error + ": " + once);
  if (again.dump() != once) broken("json", "the round trip changed it: " + once);

  roundTrip<Plan>(v, "plan");
#define FUZZ_MESSAGE(Name) roundTrip<msg::Name>(v, #Name);
  CONTRACT_MESSAGES(FUZZ_MESSAGE)
#undef FUZZ_MESSAGE
  channelType<LauncherToCli>(v);
  channelType<CliToLauncher>(v);
  channelType<StageToLauncher>(v);
  channelType<LauncherToStage>(v);
  return 0;
}
