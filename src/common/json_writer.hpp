// Writing JSON text deterministically (same calls, same bytes), for files qeff
// produces (program packages, cache metadata). Strings must be valid UTF-8
// (checked: QEFF_E_INVALID_ARGUMENT); they are written raw except for the
// escapes JSON requires. Doubles use the shortest text that parses back to the
// same bits (std::to_chars, locale-independent); non-finite doubles cannot be
// written as JSON numbers (QEFF_E_INVALID_ARGUMENT): encode them yourself.
// Readers such as cJSON hold numbers as doubles, so integers beyond +-2^53 do
// not survive a round trip as numbers: callers decide how to write those.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qeff {

class JsonWriter {
 public:
  // `pretty`: objects and arrays one member per line, indented by two spaces,
  // except containers opened with `inline_ = true`, written on one line.
  explicit JsonWriter(bool pretty = true) : pretty_(pretty) {}

  JsonWriter &begin_object(bool inline_ = false);
  JsonWriter &end_object();
  JsonWriter &begin_array(bool inline_ = false);
  JsonWriter &end_array();
  JsonWriter &key(std::string_view k);

  JsonWriter &value(std::string_view s);
  JsonWriter &value(const char *s) { return value(std::string_view(s)); }
  JsonWriter &value(const std::string &s) { return value(std::string_view(s)); }
  JsonWriter &value(int64_t v);
  JsonWriter &value(uint64_t v);
  JsonWriter &value(int v) { return value(static_cast<int64_t>(v)); }
  JsonWriter &value(bool v);
  JsonWriter &value(double v);
  JsonWriter &null();

  // The text written so far (complete once every container is closed).
  const std::string &text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  struct Level {
    bool inline_;
    bool empty = true;
  };
  void before_value();
  void open(char c, bool inline_);
  void close(char c);
  void newline();

  bool pretty_;
  bool after_key_ = false;
  std::vector<Level> stack_;
  std::string out_;
};

// `s` as a JSON string literal (quoted and escaped). `s` must be valid UTF-8.
std::string json_quote(std::string_view s);

}  // namespace qeff
