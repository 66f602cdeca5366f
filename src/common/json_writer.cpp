#include "common/json_writer.hpp"

#include <charconv>
#include <cmath>

#include "common/error.hpp"
#include "common/utf8.hpp"

namespace qeff {

std::string json_quote(std::string_view s) {
  if (!utf8_valid(s)) fail(QEFF_E_INVALID_ARGUMENT, "cannot write " + quote(s) + " as JSON: not valid UTF-8");
  static const char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += "\\u00";
          out += hex[u >> 4];
          out += hex[u & 15];
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

void JsonWriter::newline() {
  if (!pretty_) return;
  out_ += '\n';
  out_.append(2 * stack_.size(), ' ');
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (stack_.empty()) return;
  Level &l = stack_.back();
  if (!l.empty) out_ += pretty_ && l.inline_ ? ", " : ",";
  l.empty = false;
  if (!l.inline_) newline();
}

void JsonWriter::open(char c, bool inline_) {
  before_value();
  out_ += c;
  // Inside an inline container everything stays on its line.
  bool in_inline = !stack_.empty() && stack_.back().inline_;
  stack_.push_back({inline_ || in_inline});
}

void JsonWriter::close(char c) {
  if (stack_.empty()) fail(QEFF_E_INTERNAL, "JsonWriter: unbalanced close");
  Level l = stack_.back();
  stack_.pop_back();
  if (!l.empty && !l.inline_) newline();
  out_ += c;
}

JsonWriter &JsonWriter::begin_object(bool inline_) {
  open('{', inline_);
  return *this;
}
JsonWriter &JsonWriter::end_object() {
  close('}');
  return *this;
}
JsonWriter &JsonWriter::begin_array(bool inline_) {
  open('[', inline_);
  return *this;
}
JsonWriter &JsonWriter::end_array() {
  close(']');
  return *this;
}

JsonWriter &JsonWriter::key(std::string_view k) {
  before_value();
  out_ += json_quote(k);
  out_ += pretty_ ? ": " : ":";
  after_key_ = true;
  return *this;
}

JsonWriter &JsonWriter::value(std::string_view s) {
  std::string q = json_quote(s);  // checked before anything is appended
  before_value();
  out_ += q;
  return *this;
}

JsonWriter &JsonWriter::value(int64_t v) {
  before_value();
  out_ += std::to_string(v);
  return *this;
}

JsonWriter &JsonWriter::value(uint64_t v) {
  before_value();
  out_ += std::to_string(v);
  return *this;
}

JsonWriter &JsonWriter::value(bool v) {
  before_value();
  out_ += v ? "true" : "false";
  return *this;
}

JsonWriter &JsonWriter::value(double v) {
  if (!std::isfinite(v)) fail(QEFF_E_INVALID_ARGUMENT, "cannot write a non-finite number as JSON");
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  if (r.ec != std::errc()) fail(QEFF_E_INTERNAL, "JsonWriter: cannot format a double");
  std::string_view text(buf, static_cast<size_t>(r.ptr - buf));
  before_value();
  out_ += text;
  // "1" would read back as the same double, but keep it visibly a float.
  if (text.find_first_of(".eE") == std::string_view::npos) out_ += ".0";
  return *this;
}

JsonWriter &JsonWriter::null() {
  before_value();
  out_ += "null";
  return *this;
}

}  // namespace qeff
