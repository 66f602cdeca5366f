// Tokenizer decode of arbitrary ids, whole and streamed, on the fixtures'
// tokenizers (tokenizer_fixtures.hpp).
//
// Input: byte 0 picks the tokenizer (low 4 bits) and skip_special_tokens
// (bit 4); then 16-bit little-endian ids, taken modulo vocab_size + 8 so that a
// few ids lie outside the vocabulary.
//
// Invariants: ids that are all tokens decode; an id outside the vocabulary is
// QEFF_E_INVALID_ARGUMENT (decode and StreamDecoder::step alike, the stream
// unchanged); decoded text is valid UTF-8 (invalid byte-fallback sequences
// become U+FFFD); the streamed pieces are valid UTF-8 and concatenate to
// decode() (RELIABILITY.md A6.10); id_to_token of an id below vocab_size,
// when present, maps back through token_to_id to an id with the same token.
#include <cstdint>
#include <vector>

#include "fuzz_common.hpp"
#include "tokenizer_checks.hpp"
#include "tokenizer_fixtures.hpp"

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  qeff_fuzz::fixture_tokenizers();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const auto &toks = qeff_fuzz::fixture_tokenizers();
  const auto &tok = toks[(data[0] & 0x0f) % toks.size()];
  const bool skip = (data[0] & 0x10) != 0;
  const size_t vocab = tok->vocab_size();
  std::vector<uint32_t> ids;
  for (size_t i = 1; i + 1 < size && ids.size() < 4096; i += 2)
    ids.push_back(static_cast<uint32_t>(data[i] | (data[i + 1] << 8)) % static_cast<uint32_t>(vocab + 8));

  qeff_fuzz::check_decode(tok, ids, skip, "decode");

  // A stream that meets a bad id refuses it and carries on unchanged.
  bool has_bad = false;
  for (uint32_t id : ids) has_bad = has_bad || id >= vocab;
  if (has_bad) {
    qeff::tokenizer::StreamDecoder stream(tok, skip);
    std::vector<uint32_t> good;
    std::string joined;
    for (uint32_t id : ids) {
      std::string piece;
      qeff_status st = qeff_fuzz::run_status("step", {QEFF_E_INVALID_ARGUMENT}, [&] { piece = stream.step(id); });
      if (id >= vocab) {
        FUZZ_CHECK(st == QEFF_E_INVALID_ARGUMENT, "step(%u) beyond the vocabulary gave %s", id, qeff_status_name(st));
        continue;
      }
      if (st != QEFF_OK) return 0;  // a hole in the vocabulary: fine, but the rest is not comparable
      good.push_back(id);
      joined += piece;
    }
    joined += stream.finish();
    std::string whole;
    if (qeff_fuzz::run_checked("decode(good)", {QEFF_E_INVALID_ARGUMENT}, [&] { whole = tok->decode(good, skip); }))
      FUZZ_CHECK(joined == whole, "a refused id changed the stream:\n  stream: %s\n  decode: %s", joined.c_str(),
                 whole.c_str());
  }

  for (size_t i = 0; i < ids.size() && i < 16; ++i) {
    if (ids[i] >= vocab) {
      FUZZ_CHECK(!tok->id_to_token(ids[i]).has_value(), "id_to_token(%u) beyond the vocabulary", ids[i]);
      continue;
    }
    auto s = tok->id_to_token(ids[i]);
    if (!s) continue;
    auto back = tok->token_to_id(*s);
    FUZZ_CHECK(back.has_value(), "token_to_id(id_to_token(%u)) is absent", ids[i]);
    FUZZ_CHECK(tok->id_to_token(*back) == s, "token_to_id(id_to_token(%u)) names another token", ids[i]);
  }
  return 0;
}
