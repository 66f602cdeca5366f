// tokenizer.json loading (Tokenizer::from_json): models (BPE, WordPiece,
// Unigram, WordLevel), normalizers, pre-tokenizers (regexes), post-processors,
// decoders, added tokens, truncation/padding blocks.
//
// Invariants (RELIABILITY.md B7): a failure is QEFF_E_FORMAT, QEFF_E_CONFIG,
// QEFF_E_UNSUPPORTED or QEFF_E_LIMIT naming the file. A tokenizer that loads
// is usable: a fixed set of texts (ASCII, accents, CJK, emoji, whitespace,
// special-token look-alikes, invalid UTF-8) encode per check_encode (invalid
// UTF-8 refused; ids < vocab size; offsets inside the text; decode and stream
// agree and give valid UTF-8), and the first ids of the vocabulary decode to
// valid UTF-8, whole and streamed.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_common.hpp"
#include "tokenizer/limits.hpp"
#include "tokenizer_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view json(reinterpret_cast<const char *>(data), data != nullptr ? size : 0);
  qeff::tokenizer::TokenizerLimits limits;
  // Small caps keep each run fast and exercise the limit paths.
  limits.vocab_size = 20000;
  limits.merges = 20000;
  limits.added_tokens = 1000;
  limits.input_bytes = 1 << 16;
  std::shared_ptr<const qeff::tokenizer::Tokenizer> tok;
  const std::string name = "tokenizer.json";
  if (!qeff_fuzz::run_checked(
          "Tokenizer::from_json", {QEFF_E_FORMAT, QEFF_E_CONFIG, QEFF_E_UNSUPPORTED, QEFF_E_LIMIT},
          [&] { tok = qeff::tokenizer::Tokenizer::from_json(json, name, limits); }, name))
    return 0;
  FUZZ_CHECK(tok != nullptr, "from_json returned null");

  static const char *const kTexts[] = {
      "", "Hello world", "  leading and   inner  spaces\t\n", "Caf\xc3\xa9 na\xc3\xafve \xc3\x85ngstr\xc3\xb6m",
      "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e 123 4567", "emoji \xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",
      "<s>[CLS]<|endoftext|><unk></s>[SEP][PAD]", "a", "\xff\xfe invalid", "trunc\xe6\x97"};
  qeff::tokenizer::EncodeOptions plain;
  plain.add_special_tokens = false;
  qeff::tokenizer::EncodeOptions with_specials;
  with_specials.parse_special = true;
  for (const char *t : kTexts) {
    qeff_fuzz::check_encode(tok, t, plain, "encode");
    qeff_fuzz::check_encode(tok, t, with_specials, "encode(specials)");
  }
  std::vector<uint32_t> ids;
  for (uint32_t i = 0; i < tok->vocab_size() && i < 64; ++i) ids.push_back(i);
  qeff_fuzz::check_decode(tok, ids, false, "decode(first ids)");
  qeff_fuzz::check_decode(tok, ids, true, "decode(first ids, skip)");
  return 0;
}
