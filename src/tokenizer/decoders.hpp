// Decoders of tokenizer.json ("decoder"): ByteLevel, Metaspace, WordPiece,
// ByteFallback, Fuse, Strip, Replace and Sequence (HF decoders/). A decoder
// rewrites the list of token strings; the decoded text is their
// concatenation.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/component.hpp"

namespace qeff::tokenizer {

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string> &tokens) const = 0;
  // decode_chain for tokens that continue a sequence (a streaming window
  // whose first token is context, not the sequence's start): a Strip does not
  // cut the start of the first element, which after a Fuse is the whole
  // window, so it cannot eat into the text that follows the context (the
  // full decode strips only the sequence's start).
  virtual void decode_chain_continuing(std::vector<std::string> &tokens) const { decode_chain(tokens); }
  // Whether `token` may be decoded together with the tokens that follow it,
  // so that its text is final only once a token that does not continue the
  // run arrives: a ByteFallback byte token (a run is UTF-8 as a whole, or
  // U+FFFD per byte). Judged on the token as the vocabulary spells it.
  virtual bool continues_run(std::string_view token) const {
    (void)token;
    return false;
  }
};

std::unique_ptr<Decoder> parse_decoder(const JsonView &v, const ParseContext &ctx);
std::unique_ptr<Decoder> make_wordpiece_decoder(std::string prefix, bool cleanup);

}  // namespace qeff::tokenizer
