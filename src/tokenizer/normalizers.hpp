// Normalizers of tokenizer.json ("normalizer"): BertNormalizer, NFC, NFD,
// NFKC, NFKD, Lowercase, StripAccents, Strip, Replace, Prepend, Precompiled,
// ByteLevel and Sequence, with HuggingFace's semantics and alignments.
#pragma once

#include <memory>

#include "tokenizer/component.hpp"
#include "tokenizer/normalized_string.hpp"

namespace qeff::tokenizer {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(NormalizedString &s) const = 0;
};

// Parses one normalizer object. Unknown "type" is QEFF_E_UNSUPPORTED.
std::unique_ptr<Normalizer> parse_normalizer(const JsonView &v, const ParseContext &ctx);

// The BERT normalizer with explicit settings (vocab.txt-only directories).
std::unique_ptr<Normalizer> make_bert_normalizer(bool clean_text, bool handle_chinese_chars,
                                                 std::optional<bool> strip_accents, bool lowercase);

// The byte-to-printable-char map of GPT-2's byte-level encoding.
const char32_t *byte_level_chars();  // 256 entries
// Inverse: byte for a code point of the map, or -1.
int byte_level_byte(char32_t c);
// Rewrites every byte of `s` as its byte-level character (HF ByteLevel).
void byte_level_transform(NormalizedString &s);

}  // namespace qeff::tokenizer
