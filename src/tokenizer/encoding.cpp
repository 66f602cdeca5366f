#include "tokenizer/encoding.hpp"

#include <algorithm>

#include "common/error.hpp"

namespace qeff::tokenizer {

void Encoding::append(const Encoding &o) {
  ids.insert(ids.end(), o.ids.begin(), o.ids.end());
  type_ids.insert(type_ids.end(), o.type_ids.begin(), o.type_ids.end());
  offsets.insert(offsets.end(), o.offsets.begin(), o.offsets.end());
  special_tokens_mask.insert(special_tokens_mask.end(), o.special_tokens_mask.begin(), o.special_tokens_mask.end());
  attention_mask.insert(attention_mask.end(), o.attention_mask.begin(), o.attention_mask.end());
  word_ids.insert(word_ids.end(), o.word_ids.begin(), o.word_ids.end());
  sequence_ids.insert(sequence_ids.end(), o.sequence_ids.begin(), o.sequence_ids.end());
}

void Encoding::reserve(size_t n) {
  ids.reserve(n);
  type_ids.reserve(n);
  offsets.reserve(n);
  special_tokens_mask.reserve(n);
  attention_mask.reserve(n);
  word_ids.reserve(n);
  sequence_ids.reserve(n);
}

void Encoding::resize(size_t n) {
  if (n >= size()) return;
  ids.resize(n);
  type_ids.resize(n);
  offsets.resize(n);
  special_tokens_mask.resize(n);
  attention_mask.resize(n);
  word_ids.resize(n);
  sequence_ids.resize(n);
}

namespace {
template <typename T>
void keep_last(std::vector<T> &v, size_t n) {
  v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() - n));
}
template <typename T>
void pad_vector(std::vector<T> &v, size_t n, T value, Direction d) {
  if (d == Direction::Right)
    v.insert(v.end(), n, value);
  else
    v.insert(v.begin(), n, value);
}
}  // namespace

void Encoding::truncate_left(size_t n) {
  if (n >= size()) return;
  keep_last(ids, n);
  keep_last(type_ids, n);
  keep_last(offsets, n);
  keep_last(special_tokens_mask, n);
  keep_last(attention_mask, n);
  keep_last(word_ids, n);
  keep_last(sequence_ids, n);
}

void truncate_encodings(Encoding &a, Encoding *b, const TruncationParams &p) {
  auto cut = [&](Encoding &e, size_t n) {
    if (p.direction == Direction::Right)
      e.resize(n);
    else
      e.truncate_left(n);
  };
  if (p.max_length == 0) {
    cut(a, 0);
    if (b) cut(*b, 0);
    return;
  }
  size_t total = a.size() + (b ? b->size() : 0);
  if (total <= p.max_length) return;
  size_t to_remove = total - p.max_length;
  switch (p.strategy) {
    case TruncationStrategy::LongestFirst: {
      if (!b) {
        cut(a, p.max_length);
        return;
      }
      // HF's split of the budget between the two sequences, verbatim.
      size_t n1 = a.size(), n2 = b->size();
      bool swapped = n1 > n2;
      if (swapped) std::swap(n1, n2);
      n2 = n1 > p.max_length ? n1 : std::max(n1, p.max_length - n1);
      if (n1 + n2 > p.max_length) {
        n1 = p.max_length / 2;
        n2 = n1 + p.max_length % 2;
      }
      if (swapped) std::swap(n1, n2);
      cut(a, n1);
      cut(*b, n2);
      return;
    }
    case TruncationStrategy::OnlyFirst:
    case TruncationStrategy::OnlySecond: {
      if (p.strategy == TruncationStrategy::OnlySecond && !b)
        fail(QEFF_E_INVALID_ARGUMENT, "truncation: strategy only_second needs a pair of texts");
      Encoding *target = p.strategy == TruncationStrategy::OnlyFirst ? &a : b;
      if (target->size() <= to_remove)
        fail(QEFF_E_INVALID_ARGUMENT, "truncation: the sequence to truncate has " +
                                          std::to_string(target->size()) + " tokens, not enough to remove " +
                                          std::to_string(to_remove) + " and fit max_length " +
                                          std::to_string(p.max_length));
      cut(*target, target->size() - to_remove);
      return;
    }
  }
}

void pad_encodings(std::vector<Encoding> &encodings, const PaddingParams &p) {
  if (encodings.empty()) return;
  size_t target = 0;
  if (p.fixed_length) {
    target = *p.fixed_length;
  } else {
    for (const Encoding &e : encodings) target = std::max(target, e.size());
  }
  if (p.pad_to_multiple_of > 0 && target % p.pad_to_multiple_of != 0)
    target += p.pad_to_multiple_of - target % p.pad_to_multiple_of;
  for (Encoding &e : encodings) {
    if (e.size() >= target) continue;
    size_t n = target - e.size();
    pad_vector(e.ids, n, p.pad_id, p.direction);
    pad_vector(e.type_ids, n, p.pad_type_id, p.direction);
    pad_vector(e.offsets, n, Span{0, 0}, p.direction);
    pad_vector(e.special_tokens_mask, n, uint8_t{1}, p.direction);
    pad_vector(e.attention_mask, n, uint8_t{0}, p.direction);
    pad_vector(e.word_ids, n, int32_t{-1}, p.direction);
    pad_vector(e.sequence_ids, n, int32_t{-1}, p.direction);
  }
}

}  // namespace qeff::tokenizer
