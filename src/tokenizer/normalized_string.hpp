// NormalizedString: a piece of the user's text as it is rewritten by
// normalizers and pre-tokenizers, with every byte of the rewritten text
// aligned to the range of original bytes it came from, so that token offsets
// always point into the caller's text. The alignment rules are HuggingFace's
// (tokenizers/src/tokenizer/normalizer.rs): they decide offsets, so they are
// reproduced exactly, including their corner cases.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/unicode.hpp"

namespace qeff::tokenizer {

// [begin, end) byte offsets.
struct Span {
  size_t begin = 0, end = 0;
  bool operator==(const Span &) const = default;
};

// One rewritten code point: `change` 0 replaces an original code point, > 0
// inserts a new one, < 0 replaces one and removes the next -change ones.
struct Change {
  char32_t c;
  int64_t change;
};

// A pattern match list as HF's Pattern::find_matches: consecutive spans
// covering the whole text, each flagged as a match or not.
struct PatternMatch {
  Span span;
  bool is_match;
};

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

class NormalizedString {
 public:
  NormalizedString() = default;
  // `original` is this piece of the input; `shift` is where it starts in it.
  NormalizedString(std::string_view original, size_t shift);

  const std::string &get() const { return normalized_; }
  bool empty() const { return normalized_.empty(); }
  size_t size() const { return normalized_.size(); }
  size_t original_shift() const { return shift_; }
  size_t original_size() const { return original_size_; }

  // Original byte range (relative to this piece) of normalized bytes
  // [begin, end); HF's convert_offsets(Range::Normalized). False when the
  // range is out of bounds.
  bool to_original(size_t begin, size_t end, Span &out) const;

  // The sub-piece for normalized bytes [begin, end) (on code point boundaries).
  NormalizedString slice(size_t begin, size_t end) const;

  // Rewrites normalized bytes [begin, end) (HF transform_range). The first
  // `initial_offset` code points of the range are removed before `dest`.
  void transform_range(size_t begin, size_t end, const std::vector<Change> &dest,
                       size_t initial_offset);
  void transform(const std::vector<Change> &dest, size_t initial_offset) {
    transform_range(0, normalized_.size(), dest, initial_offset);
  }

  void normalize_unicode(NormalForm form);
  void lowercase();
  void prepend(std::string_view s);
  void strip(bool left, bool right);
  // Keeps the code points for which keep(c) is true.
  template <typename Keep>
  void filter(Keep keep);
  // Applies map(c) to every code point (one code point in, one out).
  template <typename Map>
  void map(Map map);
  // Replaces every matched span by `content` (HF NormalizedString::replace).
  void replace(const std::vector<PatternMatch> &matches, std::string_view content);

  // Splits at the matches following `behavior` (HF NormalizedString::split).
  void split(const std::vector<PatternMatch> &matches, SplitBehavior behavior,
             std::vector<NormalizedString> &out) const;

 private:
  std::string normalized_;
  std::vector<Span> align_;  // per normalized byte, relative to this piece's original
  size_t shift_ = 0;
  size_t original_size_ = 0;
};

// Matches of a code-point predicate (HF's `impl Pattern for Fn(char) -> bool`).
template <typename Pred>
std::vector<PatternMatch> find_char_matches(std::string_view s, Pred pred) {
  std::vector<PatternMatch> out;
  if (s.empty()) {
    out.push_back({{0, 0}, false});
    return out;
  }
  size_t last = 0, i = 0;
  while (i < s.size()) {
    size_t b = i;
    char32_t c = next_code_point(s, i);
    if (pred(c)) {
      if (last < b) out.push_back({{last, b}, false});
      out.push_back({{b, i}, true});
      last = i;
    }
  }
  if (s.size() > last) out.push_back({{last, s.size()}, false});
  return out;
}

// Matches of a literal string (non-overlapping, left to right).
std::vector<PatternMatch> find_string_matches(std::string_view s, std::string_view needle);

// Turns a list of match spans into a PatternMatch list covering `size` bytes.
std::vector<PatternMatch> spans_to_matches(const std::vector<Span> &spans, size_t size);

template <typename Keep>
void NormalizedString::filter(Keep keep) {
  std::vector<Change> dest;
  dest.reserve(normalized_.size());
  int64_t removed = 0;
  size_t removed_start = 0;
  bool have_last = false;
  char32_t last_c = 0;
  size_t i = 0;
  while (i < normalized_.size()) {
    char32_t c = next_code_point(normalized_, i);
    if (keep(c)) {
      if (have_last)
        dest.push_back({last_c, -removed});
      else
        removed_start = static_cast<size_t>(removed);
      last_c = c;
      have_last = true;
      removed = 0;
    } else {
      ++removed;
    }
  }
  if (have_last) dest.push_back({last_c, -removed});
  transform(dest, removed_start);
}

template <typename Map>
void NormalizedString::map(Map map) {
  std::vector<Change> dest;
  dest.reserve(normalized_.size());
  size_t i = 0;
  while (i < normalized_.size()) dest.push_back({map(next_code_point(normalized_, i)), 0});
  transform(dest, 0);
}

}  // namespace qeff::tokenizer
