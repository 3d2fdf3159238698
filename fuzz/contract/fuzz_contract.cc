// libFuzzer target for what the launcher parses from tsrunc: the JSON codec (cpp/common/json.cc)
// and the parsers generated from the contract (cpp/common/generated/contract.cc). Any input may
// be refused, but never crash, hang or leak; whatever is accepted must survive a round trip:
// a value dumps to JSON that parses to the same dump, and a plan or message that parses writes
// JSON that parses back to the same thing. Built and run by scripts/fuzz-contract.sh.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "../../cpp/common/generated/contract.h"
#include "../../cpp/common/json.h"

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
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
