#include "tokenizer/normalized_string.hpp"

#include <algorithm>

#include "common/error.hpp"

namespace qeff::tokenizer {

NormalizedString::NormalizedString(std::string_view original, size_t shift)
    : normalized_(original), shift_(shift), original_size_(original.size()) {
  align_.reserve(original.size());
  size_t i = 0;
  while (i < original.size()) {
    size_t b = i;
    i += utf8_lead_length(static_cast<unsigned char>(original[i]));
    for (size_t k = b; k < i; ++k) align_.push_back({b, i});
  }
}

bool NormalizedString::to_original(size_t begin, size_t end, Span &out) const {
  // HF returns an empty target unchanged, in normalized coordinates.
  if (begin == end) {
    out = {begin, end};
    return true;
  }
  if (begin > end || end > align_.size()) return false;
  out = {align_[begin].begin, align_[end - 1].end};
  return true;
}

NormalizedString NormalizedString::slice(size_t begin, size_t end) const {
  NormalizedString s;
  Span orig;
  if (!to_original(begin, end, orig)) fail(QEFF_E_INTERNAL, "tokenizer: slice out of range");
  // Unsigned wrap-around reproduces HF's release build on non-monotonic alignments.
  size_t n_shift = orig.begin;
  s.normalized_.assign(normalized_, begin, end - begin);
  s.align_.reserve(end - begin);
  for (size_t i = begin; i < end; ++i)
    s.align_.push_back({align_[i].begin - n_shift, align_[i].end - n_shift});
  s.shift_ = shift_ + orig.begin;
  s.original_size_ = (orig.end >= orig.begin && orig.end <= original_size_) ? orig.end - orig.begin : 0;
  return s;
}

void NormalizedString::transform_range(size_t begin, size_t end, const std::vector<Change> &dest,
                                       size_t initial_offset) {
  // `rp` walks the replaced code points of [begin, end) as HF's iterator does.
  size_t rp = begin;
  auto take = [&]() -> size_t {
    if (rp >= end) return 0;
    size_t n = utf8_lead_length(static_cast<unsigned char>(normalized_[rp]));
    rp += n;
    return n;
  };
  size_t offset = begin;
  for (size_t k = 0; k < initial_offset; ++k) offset += take();
  std::string out;
  std::vector<Span> out_align;
  out.reserve(end - begin + dest.size());
  out_align.reserve(end - begin + dest.size());
  for (const Change &ch : dest) {
    Span a{0, 0};
    if (ch.change > 0) {
      if (offset >= 1) {
        if (offset - 1 >= align_.size()) fail(QEFF_E_INTERNAL, "tokenizer: alignment out of range");
        a = align_[offset - 1];
      }
    } else {
      if (offset >= align_.size()) fail(QEFF_E_INTERNAL, "tokenizer: alignment out of range");
      a = align_[offset];
      offset += take();
      for (int64_t r = 0; r < -ch.change; ++r) offset += take();
    }
    size_t n = out.size();
    append_utf8(out, ch.c);
    for (size_t k = n; k < out.size(); ++k) out_align.push_back(a);
  }
  normalized_.replace(begin, end - begin, out);
  align_.erase(align_.begin() + static_cast<std::ptrdiff_t>(begin),
               align_.begin() + static_cast<std::ptrdiff_t>(end));
  align_.insert(align_.begin() + static_cast<std::ptrdiff_t>(begin), out_align.begin(),
                out_align.end());
}

void NormalizedString::normalize_unicode(NormalForm form) {
  bool ascii = true;
  for (char ch : normalized_)
    if (static_cast<unsigned char>(ch) >= 0x80) {
      ascii = false;
      break;
    }
  if (ascii) return;  // every normal form leaves ASCII unchanged
  // Normalize run by run, a run ending before a starter that cannot compose
  // with what precedes it, so that each output code point can be aligned to
  // the input code points of its own run.
  std::vector<Change> dest;
  dest.reserve(normalized_.size());
  std::u32string run;
  auto flush = [&] {
    if (run.empty()) return;
    std::u32string out = normalize_run(run.data(), run.size(), form);
    size_t first = dest.size();
    for (char32_t c : out) dest.push_back({c, 0});
    int64_t diff = static_cast<int64_t>(out.size()) - static_cast<int64_t>(run.size());
    if (diff > 0) {
      for (int64_t k = 0; k < diff; ++k) dest[dest.size() - 1 - static_cast<size_t>(k)].change = 1;
    } else if (diff < 0) {
      if (dest.size() > first) dest.back().change += diff;
    }
    run.clear();
  };
  size_t i = 0;
  while (i < normalized_.size()) {
    char32_t c = next_code_point(normalized_, i);
    if (is_normalization_boundary(c)) flush();
    run.push_back(c);
  }
  flush();
  transform(dest, 0);
}

void NormalizedString::lowercase() {
  std::vector<Change> dest;
  dest.reserve(normalized_.size());
  std::u32string lower;
  size_t i = 0;
  while (i < normalized_.size()) {
    lower.clear();
    append_lowercase(lower, next_code_point(normalized_, i));
    for (size_t k = 0; k < lower.size(); ++k) dest.push_back({lower[k], k > 0 ? 1 : 0});
  }
  transform(dest, 0);
}

void NormalizedString::prepend(std::string_view s) {
  if (normalized_.empty()) return;
  size_t first_len = 0;
  char32_t next = next_code_point(normalized_, first_len);
  std::vector<Change> dest;
  size_t i = 0;
  bool first = true;
  while (i < s.size()) {
    dest.push_back({next_code_point(s, i), first ? 0 : 1});
    first = false;
  }
  dest.push_back({next, 1});
  transform_range(0, first_len, dest, 0);
}

void NormalizedString::strip(bool left, bool right) {
  std::u32string cps;
  size_t i = 0;
  while (i < normalized_.size()) cps.push_back(next_code_point(normalized_, i));
  size_t leading = 0, trailing = 0;
  if (left)
    while (leading < cps.size() && is_whitespace(cps[leading])) ++leading;
  if (right)
    while (trailing < cps.size() && is_whitespace(cps[cps.size() - 1 - trailing])) ++trailing;
  if (leading == 0 && trailing == 0) return;
  std::vector<Change> dest;
  size_t count = cps.size();
  for (size_t k = 0; k < count; ++k) {
    if (k < leading || k >= count - trailing) continue;
    // HF compares the code point index with the *byte* length here; kept for parity.
    if (k + trailing + 1 == normalized_.size())
      dest.push_back({cps[k], -static_cast<int64_t>(trailing)});
    else
      dest.push_back({cps[k], 0});
  }
  transform(dest, leading);
}

void NormalizedString::replace(const std::vector<PatternMatch> &matches, std::string_view content) {
  std::string out;
  std::vector<Span> out_align;
  out.reserve(normalized_.size());
  out_align.reserve(align_.size());
  size_t last_end = 0;
  for (const PatternMatch &m : matches) {
    if (!m.is_match) continue;
    out.append(normalized_, last_end, m.span.begin - last_end);
    out_align.insert(out_align.end(), align_.begin() + static_cast<std::ptrdiff_t>(last_end),
                     align_.begin() + static_cast<std::ptrdiff_t>(m.span.begin));
    // Every inserted code point shares the alignment of the last replaced byte.
    Span a{0, 0};
    if (m.span.end >= 1) a = align_[m.span.end - 1];
    size_t n = out.size();
    out.append(content);
    for (size_t k = n; k < out.size(); ++k) out_align.push_back(a);
    last_end = m.span.end;
  }
  out.append(normalized_, last_end, std::string::npos);
  out_align.insert(out_align.end(), align_.begin() + static_cast<std::ptrdiff_t>(last_end),
                   align_.end());
  normalized_ = std::move(out);
  align_ = std::move(out_align);
}

void NormalizedString::split(const std::vector<PatternMatch> &matches, SplitBehavior behavior,
                             std::vector<NormalizedString> &out) const {
  struct Piece {
    Span span;
    bool remove;
  };
  std::vector<Piece> pieces;
  pieces.reserve(matches.size());
  switch (behavior) {
    case SplitBehavior::Isolated:
      for (const auto &m : matches) pieces.push_back({m.span, false});
      break;
    case SplitBehavior::Removed:
      for (const auto &m : matches) pieces.push_back({m.span, m.is_match});
      break;
    case SplitBehavior::Contiguous: {
      bool previous = false;
      for (const auto &m : matches) {
        if (m.is_match == previous && !pieces.empty())
          pieces.back().span.end = m.span.end;
        else
          pieces.push_back({m.span, false});
        previous = m.is_match;
      }
      break;
    }
    case SplitBehavior::MergedWithPrevious: {
      bool previous = false;
      for (const auto &m : matches) {
        if (m.is_match && !previous && !pieces.empty())
          pieces.back().span.end = m.span.end;
        else
          pieces.push_back({m.span, false});
        previous = m.is_match;
      }
      break;
    }
    case SplitBehavior::MergedWithNext: {
      bool previous = false;
      for (size_t k = matches.size(); k-- > 0;) {
        const auto &m = matches[k];
        if (m.is_match && !previous && !pieces.empty())
          pieces.back().span.begin = m.span.begin;
        else
          pieces.push_back({m.span, false});
        previous = m.is_match;
      }
      std::reverse(pieces.begin(), pieces.end());
      break;
    }
  }
  for (const Piece &p : pieces)
    if (!p.remove) out.push_back(slice(p.span.begin, p.span.end));
}

std::vector<PatternMatch> spans_to_matches(const std::vector<Span> &spans, size_t size) {
  std::vector<PatternMatch> out;
  if (size == 0) {
    out.push_back({{0, 0}, false});
    return out;
  }
  size_t prev = 0;
  for (const Span &s : spans) {
    if (prev != s.begin) out.push_back({{prev, s.begin}, false});
    out.push_back({s, true});
    prev = s.end;
  }
  if (prev != size) out.push_back({{prev, size}, false});
  return out;
}

std::vector<PatternMatch> find_string_matches(std::string_view s, std::string_view needle) {
  if (needle.empty()) return {{{0, count_code_points(s)}, false}};  // sic (HF counts chars)
  std::vector<Span> spans;
  size_t pos = 0;
  while ((pos = s.find(needle, pos)) != std::string_view::npos) {
    spans.push_back({pos, pos + needle.size()});
    pos += needle.size();
  }
  return spans_to_matches(spans, s.size());
}

}  // namespace qeff::tokenizer
