// Decoders of tokenizer.json ("decoder"): ByteLevel, Metaspace, WordPiece,
// ByteFallback, Fuse, Strip, Replace and Sequence (HF decoders/). A decoder
// rewrites the list of token strings; the decoded text is their
// concatenation.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tokenizer/component.hpp"

namespace qeff::tokenizer {

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string> &tokens) const = 0;
};

std::unique_ptr<Decoder> parse_decoder(const JsonView &v, const ParseContext &ctx);
std::unique_ptr<Decoder> make_wordpiece_decoder(std::string prefix, bool cleanup);

}  // namespace qeff::tokenizer
