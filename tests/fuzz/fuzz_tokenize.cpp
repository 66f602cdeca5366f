// Tokenizer encode of arbitrary bytes, on the fixtures' tokenizers (BPE with
// byte fallback, byte-level BPE, WordPiece, Unigram; see tokenizer_fixtures.hpp).
//
// Input: byte 0 picks the tokenizer (low 4 bits, modulo their number) and the
// options (bit 4 add_special_tokens, bit 5 parse_special, bit 6 truncate to
// byte 1 % 16 tokens with strategy/direction from byte 1's high bits, bit 7
// encode a pair split at byte 2 % length); the rest is the text.
//
// Invariants: invalid UTF-8 is QEFF_E_INVALID_ARGUMENT; valid UTF-8 encodes
// (only a limit, or a truncation the strategy cannot meet, may refuse it);
// ids < vocab size; parallel arrays of equal length; offsets inside the
// input; truncation respected; the ids decode to valid UTF-8, and streaming
// them gives the same text as decode() (with and without skipping specials).
// Without parse_special and add_special_tokens, no special token comes out of
// user text (RELIABILITY.md A6.9) unless the model's own vocabulary spells it.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_common.hpp"
#include "tokenizer_checks.hpp"
#include "tokenizer_fixtures.hpp"

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  qeff_fuzz::fixture_tokenizers();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3) return 0;
  const auto &toks = qeff_fuzz::fixture_tokenizers();
  const auto &tok = toks[(data[0] & 0x0f) % toks.size()];
  qeff::tokenizer::EncodeOptions o;
  o.add_special_tokens = (data[0] & 0x10) != 0;
  o.parse_special = (data[0] & 0x20) != 0;
  if (data[0] & 0x40) {
    qeff::tokenizer::TruncationParams t;
    t.max_length = data[1] % 16;
    t.strategy = static_cast<qeff::tokenizer::TruncationStrategy>((data[1] >> 4) % 3);
    t.direction = (data[1] & 0x80) ? qeff::tokenizer::Direction::Left : qeff::tokenizer::Direction::Right;
    o.truncation = t;
  }
  std::string_view text(reinterpret_cast<const char *>(data) + 3, size - 3);

  if (data[0] & 0x80) {
    size_t cut = text.empty() ? 0 : data[2] % (text.size() + 1);
    std::string_view a = text.substr(0, cut), b = text.substr(cut);
    qeff::tokenizer::Encoding e;
    qeff_status st = qeff_fuzz::run_status("encode_pair", {QEFF_E_INVALID_ARGUMENT, QEFF_E_LIMIT},
                                           [&] { e = tok->encode_pair(a, b, o); });
    bool valid = qeff::utf8_valid(a) && qeff::utf8_valid(b);
    FUZZ_CHECK(valid || st == QEFF_E_INVALID_ARGUMENT, "encode_pair: invalid UTF-8 gave %s", qeff_status_name(st));
    if (valid) FUZZ_CHECK(st != QEFF_E_INVALID_ARGUMENT || o.truncation, "encode_pair refused valid text");
    if (st == QEFF_OK) {
      qeff_fuzz::check_encoding(*tok, e, std::max(a.size(), b.size()), "encode_pair");
      if (o.truncation && !o.add_special_tokens)
        FUZZ_CHECK(e.ids.size() <= o.truncation->max_length, "encode_pair: %zu tokens above max_length %zu",
                   e.ids.size(), o.truncation->max_length);
      qeff_fuzz::check_decode(tok, e.ids, false, "encode_pair");
    }
    return 0;
  }

  qeff_fuzz::check_encode(tok, text, o, "encode");
  if (o.truncation) {
    qeff::tokenizer::Encoding e;
    if (qeff_fuzz::run_checked("encode(truncated)", {QEFF_E_INVALID_ARGUMENT, QEFF_E_LIMIT},
                               [&] { e = tok->encode(text, o); }))
      FUZZ_CHECK(e.ids.size() <= o.truncation->max_length || o.add_special_tokens,
                 "%zu tokens above max_length %zu", e.ids.size(), o.truncation->max_length);
  }
  if (!o.parse_special && !o.add_special_tokens && !o.truncation && qeff::utf8_valid(text)) {
    qeff::tokenizer::Encoding e = tok->encode(text, o);
    for (size_t i = 0; i < e.ids.size(); ++i) {
      // The unknown token is the model's answer to what it cannot spell (WordPiece: a word too long).
      if (!tok->is_special(e.ids[i]) || tok->unk_id() == e.ids[i]) continue;
      // The model itself may produce a special id when its vocabulary holds
      // the same string (e.g. a byte-fallback or merged piece); then the text
      // had to contain it literally, split into ordinary pieces.
      auto s = tok->id_to_token(e.ids[i]);
      FUZZ_CHECK(s && text.find(*s) != std::string_view::npos,
                 "special token %u (%s) came out of user text without parse_special", e.ids[i], s ? s->c_str() : "?");
    }
  }
  return 0;
}
