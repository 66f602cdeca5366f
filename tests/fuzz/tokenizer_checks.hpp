// Invariants of encoding and decoding, shared by the tokenizer fuzz targets.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/utf8.hpp"
#include "fuzz_common.hpp"
#include "tokenizer/tokenizer.hpp"

namespace qeff_fuzz {

using qeff::tokenizer::Encoding;
using qeff::tokenizer::Tokenizer;

// An encoding of `text` (or of a pair with `total_bytes` of both texts): parallel
// arrays of one length, ids below the vocabulary size, offsets inside the text.
inline void check_encoding(const Tokenizer &tok, const Encoding &e, size_t max_offset, const char *where) {
  const size_t n = e.ids.size();
  FUZZ_CHECK(e.type_ids.size() == n && e.offsets.size() == n && e.special_tokens_mask.size() == n &&
                 e.attention_mask.size() == n,
             "%s: parallel arrays of different lengths (%zu ids, %zu types, %zu offsets, %zu special, %zu mask)",
             where, n, e.type_ids.size(), e.offsets.size(), e.special_tokens_mask.size(), e.attention_mask.size());
  FUZZ_CHECK(e.word_ids.empty() || e.word_ids.size() == n, "%s: word_ids length", where);
  FUZZ_CHECK(e.sequence_ids.empty() || e.sequence_ids.size() == n, "%s: sequence_ids length", where);
  const size_t vocab = tok.vocab_size();
  for (size_t i = 0; i < n; ++i) {
    FUZZ_CHECK(e.ids[i] < vocab, "%s: id %u at %zu is not below the vocabulary size %zu", where, e.ids[i], i, vocab);
    FUZZ_CHECK(e.offsets[i].begin <= e.offsets[i].end && e.offsets[i].end <= max_offset,
               "%s: offsets [%zu, %zu) of token %zu outside the %zu input bytes", where, e.offsets[i].begin,
               e.offsets[i].end, i, max_offset);
    FUZZ_CHECK(e.attention_mask[i] <= 1 && e.special_tokens_mask[i] <= 1, "%s: masks not 0/1", where);
  }
}

// Decodes `ids` (all of them tokens) whole and as a stream: both succeed or
// fail alike, give valid UTF-8, and the stream's pieces concatenate to the
// whole decoding (RELIABILITY.md A6.10).
inline void check_decode(const std::shared_ptr<const Tokenizer> &tok, std::span<const uint32_t> ids, bool skip,
                         const char *where) {
  std::string whole;
  bool in_vocab = true;
  for (uint32_t id : ids) in_vocab = in_vocab && id < tok->vocab_size() && tok->id_to_token(id).has_value();
  bool ok = run_checked(where, {QEFF_E_INVALID_ARGUMENT}, [&] { whole = tok->decode(ids, skip); });
  if (in_vocab) FUZZ_CHECK(ok, "%s: decode of ids that are all tokens failed", where);
  if (!ok) return;
  FUZZ_CHECK(qeff::utf8_valid(whole), "%s: decode gave invalid UTF-8", where);

  qeff::tokenizer::StreamDecoder stream(tok, skip);
  std::string joined;
  for (uint32_t id : ids) {
    std::string piece;
    bool step_ok = run_checked(where, {QEFF_E_INVALID_ARGUMENT}, [&] { piece = stream.step(id); });
    FUZZ_CHECK(step_ok, "%s: stream step(%u) failed where decode succeeded", where, id);
    FUZZ_CHECK(qeff::utf8_valid(piece), "%s: stream piece is not valid UTF-8", where);
    joined += piece;
  }
  std::string rest;
  FUZZ_CHECK(run_checked(where, {}, [&] { rest = stream.finish(); }), "%s: stream finish failed", where);
  FUZZ_CHECK(qeff::utf8_valid(rest), "%s: stream rest is not valid UTF-8", where);
  joined += rest;
  FUZZ_CHECK(joined == whole, "%s: streamed text differs from decode():\n  stream: %s\n  decode: %s", where,
             joined.c_str(), whole.c_str());
}

// Encodes `text` with `o`: invalid UTF-8 fails with QEFF_E_INVALID_ARGUMENT,
// valid UTF-8 succeeds (only a cap, a truncation the strategy cannot meet,
// or a character a Unigram model without unk_id cannot represent may stop
// it: QEFF_E_UNSUPPORTED, as HF tokenizers' MissingUnkId error) and passes
// check_encoding; the ids decode cleanly.
inline void check_encode(const std::shared_ptr<const Tokenizer> &tok, std::string_view text,
                         const qeff::tokenizer::EncodeOptions &o, const char *where) {
  Encoding e;
  qeff_status st =
      run_status(where, {QEFF_E_INVALID_ARGUMENT, QEFF_E_LIMIT, QEFF_E_UNSUPPORTED}, [&] { e = tok->encode(text, o); });
  if (!qeff::utf8_valid(text)) {
    FUZZ_CHECK(st == QEFF_E_INVALID_ARGUMENT, "%s: invalid UTF-8 input gave %s", where, qeff_status_name(st));
    return;
  }
  FUZZ_CHECK(st != QEFF_E_INVALID_ARGUMENT || o.truncation.has_value(),
             "%s: valid UTF-8 text refused as an invalid argument", where);
  if (st != QEFF_OK) return;
  check_encoding(*tok, e, text.size(), where);
  check_decode(tok, e.ids, false, where);
  check_decode(tok, e.ids, true, where);
}

}  // namespace qeff_fuzz
