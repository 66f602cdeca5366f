// Oniguruma-style regexes of tokenizer.json (Split, Replace, the ByteLevel
// pattern) on PCRE2 with JIT and Unicode properties. Matching is bounded:
// match, depth and heap limits turn a catastrophic pattern into a
// QEFF_E_LIMIT error instead of a hang or a stack overflow (RELIABILITY B7.61).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/normalized_string.hpp"

namespace qeff::tokenizer {

class Regex {
 public:
  // Compiles `pattern` (UTF, UCP). `where` names the file and field for
  // errors: QEFF_E_UNSUPPORTED for a pattern PCRE2 cannot compile, with its
  // message and offset.
  static std::shared_ptr<const Regex> compile(std::string_view pattern, const std::string &where);
  ~Regex();
  Regex(const Regex &) = delete;
  Regex &operator=(const Regex &) = delete;

  // Non-overlapping matches left to right, as the onig crate's find_iter: an
  // empty match right after the previous match is skipped, and the search
  // moves one code point past every empty match. Text must be valid UTF-8.
  void find_all(std::string_view text, std::vector<Span> &out) const;
  std::vector<PatternMatch> find_matches(std::string_view text) const;

  const std::string &pattern() const { return pattern_; }

 private:
  Regex() = default;
  void *code_ = nullptr;  // pcre2_code_8
  bool jit_ = false;
  std::string pattern_;
};

}  // namespace qeff::tokenizer

namespace qeff {
class JsonView;
}

namespace qeff::tokenizer {

// The `pattern` field of Split, Replace (normalizer and decoder):
// {"String": "..."} (a literal) or {"Regex": "..."}.
class Pattern {
 public:
  static Pattern parse(const JsonView &v, size_t max_bytes);
  std::vector<PatternMatch> find_matches(std::string_view text) const;
  bool is_regex() const { return regex_ != nullptr; }

 private:
  std::string literal_;
  std::shared_ptr<const Regex> regex_;
};

}  // namespace qeff::tokenizer
