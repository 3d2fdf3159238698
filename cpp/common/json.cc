#include "json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace json {

namespace {
const std::string kEmptyString;
const std::vector<Value> kEmptyArray;
const std::vector<std::pair<std::string, Value>> kEmptyObject;
const Value kNull;

class Parser {
 public:
  explicit Parser(const std::string& t) : t_(t) {}

  bool run(Value& out, std::string& err) {
    skipSpace();
    if (!value(out, 0)) { err = err_ + " at offset " + std::to_string(pos_); return false; }
    skipSpace();
    if (pos_ != t_.size()) { err = "trailing characters at offset " + std::to_string(pos_); return false; }
    return true;
  }

 private:
  bool fail(const char* why) { err_ = why; return false; }
  void skipSpace() {
    while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\n' || t_[pos_] == '\r' || t_[pos_] == '\t')) pos_++;
  }
  bool literal(const char* word) {
    size_t n = std::char_traits<char>::length(word);
    if (t_.compare(pos_, n, word) != 0) return fail("unexpected token");
    pos_ += n;
    return true;
  }

  bool value(Value& out, int depth) {
    if (pos_ >= t_.size()) return fail("unexpected end");
    char c = t_[pos_];
    // `depth` containers enclose this value; one more would be too many.
    if ((c == '{' || c == '[') && depth >= kMaxDepth) return fail("exceeded max depth (arrays and objects nested deeper than 256 levels)");
    if (c == '{') return object(out, depth);
    if (c == '[') return array(out, depth);
    if (c == '"') { std::string s; if (!string(s)) return false; out = Value::string(std::move(s)); return true; }
    if (c == 't') { out = Value::boolean(true); return literal("true"); }
    if (c == 'f') { out = Value::boolean(false); return literal("false"); }
    if (c == 'n') { out = Value(); return literal("null"); }
    return number(out);
  }

  // JSON's grammar exactly (strtod alone would also take "inf", "nan", hex and a leading "+"),
  // and only finite values: nothing the writer could not write back.
  bool number(Value& out) {
    size_t start = pos_;
    auto digits = [this]() {
      size_t from = pos_;
      while (pos_ < t_.size() && t_[pos_] >= '0' && t_[pos_] <= '9') pos_++;
      return pos_ > from;
    };
    if (pos_ < t_.size() && t_[pos_] == '-') pos_++;
    if (pos_ < t_.size() && t_[pos_] == '0') pos_++;
    else if (!digits()) return fail("invalid value");
    if (pos_ < t_.size() && t_[pos_] == '.') {
      pos_++;
      if (!digits()) return fail("invalid number");
    }
    if (pos_ < t_.size() && (t_[pos_] == 'e' || t_[pos_] == 'E')) {
      pos_++;
      if (pos_ < t_.size() && (t_[pos_] == '+' || t_[pos_] == '-')) pos_++;
      if (!digits()) return fail("invalid number");
    }
    double d = std::strtod(t_.substr(start, pos_ - start).c_str(), nullptr);
    if (!std::isfinite(d)) return fail("number out of range");
    out = Value::number(d);
    return true;
  }

  static void appendUtf8(std::string& s, uint32_t cp) {
    if (cp < 0x80) { s += static_cast<char>(cp); }
    else if (cp < 0x800) { s += static_cast<char>(0xC0 | (cp >> 6)); s += static_cast<char>(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12)); s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18)); s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)); s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool hex4(uint32_t& cp) {
    if (pos_ + 4 > t_.size()) return fail("short unicode escape");
    cp = 0;
    for (int i = 0; i < 4; i++) {
      char h = t_[pos_++];
      cp <<= 4;
      if (h >= '0' && h <= '9') cp |= static_cast<uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f') cp |= static_cast<uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') cp |= static_cast<uint32_t>(h - 'A' + 10);
      else return fail("bad unicode escape");
    }
    return true;
  }

  bool string(std::string& s) {
    pos_++;  // opening quote
    while (pos_ < t_.size()) {
      char c = t_[pos_++];
      if (c == '"') return true;
      if (c != '\\') { s += c; continue; }
      if (pos_ >= t_.size()) break;
      char e = t_[pos_++];
      switch (e) {
        case '"': s += '"'; break;
        case '\\': s += '\\'; break;
        case '/': s += '/'; break;
        case 'b': s += '\b'; break;
        case 'f': s += '\f'; break;
        case 'n': s += '\n'; break;
        case 'r': s += '\r'; break;
        case 't': s += '\t'; break;
        case 'u': {
          uint32_t cp;
          if (!hex4(cp)) return false;
          // A high surrogate joins the low one that follows; any other surrogate stays alone
          // (encoded as is, so that it dumps and parses back the same).
          if (cp >= 0xD800 && cp < 0xDC00 && pos_ + 6 <= t_.size() && t_[pos_] == '\\' && t_[pos_ + 1] == 'u') {
            size_t at = pos_;
            pos_ += 2;
            uint32_t lo;
            if (!hex4(lo)) return false;
            if (lo >= 0xDC00 && lo < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            else pos_ = at;
          }
          appendUtf8(s, cp);
          break;
        }
        default: return fail("bad escape");
      }
    }
    return fail("unterminated string");
  }

  bool array(Value& out, int depth) {
    pos_++;
    out = Value::array();
    skipSpace();
    if (pos_ < t_.size() && t_[pos_] == ']') { pos_++; return true; }
    while (true) {
      skipSpace();
      Value item;
      if (!value(item, depth + 1)) return false;
      out.push(std::move(item));
      skipSpace();
      if (pos_ < t_.size() && t_[pos_] == ',') { pos_++; continue; }
      if (pos_ < t_.size() && t_[pos_] == ']') { pos_++; return true; }
      return fail("expected , or ]");
    }
  }

  bool object(Value& out, int depth) {
    pos_++;
    out = Value::object();
    skipSpace();
    if (pos_ < t_.size() && t_[pos_] == '}') { pos_++; return true; }
    while (true) {
      skipSpace();
      if (pos_ >= t_.size() || t_[pos_] != '"') return fail("expected key");
      std::string key;
      if (!string(key)) return false;
      skipSpace();
      if (pos_ >= t_.size() || t_[pos_] != ':') return fail("expected :");
      pos_++;
      skipSpace();
      Value v;
      if (!value(v, depth + 1)) return false;
      out.set(key, std::move(v));
      skipSpace();
      if (pos_ < t_.size() && t_[pos_] == ',') { pos_++; continue; }
      if (pos_ < t_.size() && t_[pos_] == '}') { pos_++; return true; }
      return fail("expected , or }");
    }
  }

  const std::string& t_;
  size_t pos_ = 0;
  std::string err_;
};
}  // namespace

Value Value::boolean(bool b) { Value v; v.kind_ = Kind::Bool; v.bool_ = b; return v; }
Value Value::number(double n) { Value v; v.kind_ = Kind::Number; v.num_ = n; return v; }
Value Value::string(std::string s) { Value v; v.kind_ = Kind::String; v.str_ = std::move(s); return v; }
Value Value::array() { Value v; v.kind_ = Kind::Array; return v; }
Value Value::object() { Value v; v.kind_ = Kind::Object; return v; }

const std::string& Value::asString() const { return kind_ == Kind::String ? str_ : kEmptyString; }
const std::vector<Value>& Value::items() const { return kind_ == Kind::Array ? arr_ : kEmptyArray; }
const std::vector<std::pair<std::string, Value>>& Value::members() const { return kind_ == Kind::Object ? obj_ : kEmptyObject; }

const Value& Value::operator[](const std::string& key) const {
  if (kind_ != Kind::Object) return kNull;
  for (const auto& kv : obj_) if (kv.first == key) return kv.second;
  return kNull;
}

bool Value::has(const std::string& key) const { return !(*this)[key].isNull(); }

std::string Value::str(const std::string& key, const std::string& fallback) const {
  const Value& v = (*this)[key];
  return v.isString() ? v.str_ : fallback;
}

std::vector<std::string> Value::strings(const std::string& key) const {
  std::vector<std::string> out;
  for (const auto& item : (*this)[key].items()) out.push_back(item.asString());
  return out;
}

Value& Value::set(const std::string& key, Value v) {
  for (auto& kv : obj_) if (kv.first == key) { kv.second = std::move(v); return *this; }
  obj_.emplace_back(key, std::move(v));
  return *this;
}

Value& Value::push(Value v) { arr_.push_back(std::move(v)); return *this; }

void appendQuoted(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) { char buf[8]; std::snprintf(buf, sizeof buf, "\\u%04x", c); out += buf; }
        else out += static_cast<char>(c);
    }
  }
  out += '"';
}

void Value::dumpTo(std::string& out) const {
  switch (kind_) {
    case Kind::Null: out += "null"; break;
    case Kind::Bool: out += bool_ ? "true" : "false"; break;
    case Kind::Number: {
      char buf[32];
      if (std::floor(num_) == num_ && std::fabs(num_) < 9.007199254740992e15) std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(num_));
      else std::snprintf(buf, sizeof buf, "%.17g", num_);
      out += buf;
      break;
    }
    case Kind::String: appendQuoted(out, str_); break;
    case Kind::Array: {
      out += '[';
      for (size_t i = 0; i < arr_.size(); i++) { if (i) out += ','; arr_[i].dumpTo(out); }
      out += ']';
      break;
    }
    case Kind::Object: {
      out += '{';
      for (size_t i = 0; i < obj_.size(); i++) {
        if (i) out += ',';
        appendQuoted(out, obj_[i].first);
        out += ':';
        obj_[i].second.dumpTo(out);
      }
      out += '}';
      break;
    }
  }
}

std::string Value::dump() const { std::string out; dumpTo(out); return out; }

bool parse(const std::string& text, Value& out, std::string& error) { return Parser(text).run(out, error); }

}  // namespace json
