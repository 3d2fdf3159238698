// A small JSON value, parser and writer. The launcher receives its plan and sends its messages as
// JSON; a dependency-free codec keeps the launcher static, small and single-threaded.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace json {

class Value {
 public:
  enum class Kind { Null, Bool, Number, String, Array, Object };

  Value() = default;
  static Value boolean(bool b);
  static Value number(double n);
  static Value string(std::string s);
  static Value array();
  static Value object();

  Kind kind() const { return kind_; }
  bool isNull() const { return kind_ == Kind::Null; }
  bool isObject() const { return kind_ == Kind::Object; }
  bool isArray() const { return kind_ == Kind::Array; }
  bool isString() const { return kind_ == Kind::String; }
  bool isNumber() const { return kind_ == Kind::Number; }

  // Lenient accessors: a missing or mistyped field yields the fallback. The plan is produced by
  // our own TypeScript from a validated config, so shape errors are bugs, not user input.
  bool asBool(bool fallback = false) const { return kind_ == Kind::Bool ? bool_ : fallback; }
  double asNumber(double fallback = 0) const { return kind_ == Kind::Number ? num_ : fallback; }
  int64_t asInt(int64_t fallback = 0) const { return kind_ == Kind::Number ? static_cast<int64_t>(num_) : fallback; }
  const std::string& asString() const;
  const std::vector<Value>& items() const;
  const std::vector<std::pair<std::string, Value>>& members() const;

  const Value& operator[](const std::string& key) const;
  bool has(const std::string& key) const;
  std::string str(const std::string& key, const std::string& fallback = "") const;
  int64_t integer(const std::string& key, int64_t fallback = 0) const { return (*this)[key].asInt(fallback); }
  bool flag(const std::string& key) const { return (*this)[key].asBool(false); }
  std::vector<std::string> strings(const std::string& key) const;

  Value& set(const std::string& key, Value v);
  Value& push(Value v);

  std::string dump() const;

 private:
  void dumpTo(std::string& out) const;
  Kind kind_ = Kind::Null;
  bool bool_ = false;
  double num_ = 0;
  std::string str_;
  std::vector<Value> arr_;
  std::vector<std::pair<std::string, Value>> obj_;
};

// How deep arrays and objects may nest. The parser and Value's destructor recurse once per level:
// the bound keeps a hostile or broken message from exhausting the stack. A plan is a few levels
// deep; what tsrunc copies into it from a config (hook state, annotations) is flat.
constexpr int kMaxDepth = 256;

// Parses text; on malformed input returns false and sets error to a short reason with the offset.
bool parse(const std::string& text, Value& out, std::string& error);

void appendQuoted(std::string& out, const std::string& s);

}  // namespace json
