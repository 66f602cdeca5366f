// Post-processors of tokenizer.json ("post_processor"): TemplateProcessing,
// BertProcessing, RobertaProcessing, ByteLevel (offset trimming) and
// Sequence. They add the special tokens around one text or a pair and set
// type ids (HF processors/).
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "tokenizer/component.hpp"
#include "tokenizer/encoding.hpp"

namespace qeff::tokenizer {

// Token string of an id (for offset trimming, which looks at the text).
using TokenText = std::function<std::string_view(uint32_t)>;

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // Special tokens added around a single text (pair=false) or a pair.
  virtual size_t added_tokens(bool pair) const = 0;
  // Rewrites the list of encodings (1 or 2 of them, or already merged to 1).
  virtual void process(std::vector<Encoding> &encodings, bool add_special_tokens,
                       const TokenText &text) const = 0;
};

std::unique_ptr<PostProcessor> parse_post_processor(const JsonView &v, const ParseContext &ctx);

// What HF does with no post-processor: concatenate.
void merge_encodings(std::vector<Encoding> &encodings);

}  // namespace qeff::tokenizer
