// The result of encoding one text (or a pair): ids with their type ids, byte
// offsets into the caller's text, masks and word indices; plus truncation
// and padding (HF Encoding, utils/truncation.rs, utils/padding.rs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tokenizer/normalized_string.hpp"

namespace qeff::tokenizer {

struct Encoding {
  std::vector<uint32_t> ids;
  std::vector<uint32_t> type_ids;
  std::vector<Span> offsets;               // bytes of the input text; {0,0} for added specials
  std::vector<uint8_t> special_tokens_mask;  // 1 for tokens inserted by the post-processor/padding
  std::vector<uint8_t> attention_mask;     // 0 for padding
  std::vector<int32_t> word_ids;           // index of the pre-tokenized word, -1 for none
  std::vector<int32_t> sequence_ids;       // 0 or 1 (pair), -1 for special and padding tokens

  size_t size() const { return ids.size(); }
  void append(const Encoding &o);
  void reserve(size_t n);
  void resize(size_t n);  // truncate keeping the first n tokens
  void truncate_left(size_t n);  // keep the last n tokens
};

enum class Direction { Left, Right };
enum class TruncationStrategy { LongestFirst, OnlyFirst, OnlySecond };

struct TruncationParams {
  size_t max_length = 0;
  TruncationStrategy strategy = TruncationStrategy::LongestFirst;
  Direction direction = Direction::Right;
};

struct PaddingParams {
  std::optional<size_t> fixed_length;  // nullopt: pad to the longest of the batch
  size_t pad_to_multiple_of = 0;       // 0: none
  Direction direction = Direction::Right;
  uint32_t pad_id = 0;
  uint32_t pad_type_id = 0;
};

// Truncates a single encoding or a pair to max_length tokens in total (HF
// truncate_encodings; overflowing tokens are dropped). Throws
// QEFF_E_INVALID_ARGUMENT when the strategy cannot satisfy the length.
void truncate_encodings(Encoding &a, Encoding *b, const TruncationParams &p);

// Pads every encoding to a common length.
void pad_encodings(std::vector<Encoding> &encodings, const PaddingParams &p);

}  // namespace qeff::tokenizer
