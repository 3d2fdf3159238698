// Every fallible step returns a Result: empty on success, or the Failure that says which system call
// failed, on what path, with which errno, during which step. It travels to the CLI unchanged, so the
// user reads the root cause ("pivot_root /x: invalid argument"), never "child exited".
#pragma once
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

struct Failure {
  std::string step;     // what the launcher was doing, e.g. "mount /proc"
  std::string op;       // the system call or operation, e.g. "mount", "pivot_root"
  std::string path;     // the path it acted on, when there is one
  int err = 0;          // errno
  std::string message;  // a complete message that replaces op/path/errno text, when set
};

using Result = std::optional<Failure>;

// errno as runc prints it (Go's lowercase wording): clients match these phrases, e.g. podman maps
// "no such file or directory" to exit 127 and "permission denied" to 126.
inline std::string errnoText(int err) {
  std::string text = std::strerror(err);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

inline Result ok() { return std::nullopt; }

inline Failure sysFailure(std::string op, std::string path = "", int err = errno) {
  Failure f;
  f.op = std::move(op);
  f.path = std::move(path);
  f.err = err;
  return f;
}

inline Result fail(std::string op, std::string path = "", int err = errno) { return sysFailure(std::move(op), std::move(path), err); }

inline Result failWith(std::string message, int err = 0) {
  Failure f;
  f.message = std::move(message);
  f.err = err;
  return f;
}

// Adds the step to a failure on its way up, keeping the innermost step (the most precise one).
inline Result inStep(Result r, const std::string& step) {
  if (r && r->step.empty()) r->step = step;
  return r;
}

#define TRY(expr)                   \
  do {                              \
    if (Result tryResult_ = (expr)) \
      return tryResult_;            \
  } while (0)
