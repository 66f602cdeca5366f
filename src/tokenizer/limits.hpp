// Caps on what a tokenizer file and an encode call may ask for (RELIABILITY
// A6.3): exceeding one is QEFF_E_LIMIT naming the file, the field, the value
// and the cap, never an out-of-memory or a hang.
#pragma once

#include <cstddef>
#include <cstdint>

namespace qeff::tokenizer {

struct TokenizerLimits {
  uint64_t file_bytes = 256u << 20;  // tokenizer.json / vocab.txt size
  int json_depth = 128;              // nesting of tokenizer.json (nested Sequences)
  size_t vocab_size = 4'000'000;     // model vocabulary entries
  size_t merges = 4'000'000;         // BPE merge rules
  size_t token_bytes = 4096;         // bytes in one vocabulary or added token
  size_t added_tokens = 200'000;     // added_tokens entries
  size_t pattern_bytes = 4096;       // bytes in one regex or replacement pattern
  size_t nesting = 16;               // Sequence inside Sequence depth
  size_t input_bytes = 64u << 20;    // text bytes in one encode call
  size_t batch_size = 1u << 20;      // texts in one encode_batch call
};

}  // namespace qeff::tokenizer
