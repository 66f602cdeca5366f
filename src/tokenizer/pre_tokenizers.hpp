// Pre-tokenizers of tokenizer.json ("pre_tokenizer"): ByteLevel, Split,
// Metaspace, Whitespace, WhitespaceSplit, BertPreTokenizer, Digits,
// Punctuation and Sequence. Each cuts the not-yet-tokenized splits of a text
// into smaller ones (HF PreTokenizedString::split); splits produced from
// added tokens are left alone.
#pragma once

#include <memory>
#include <vector>

#include "tokenizer/component.hpp"
#include "tokenizer/normalized_string.hpp"

namespace qeff::tokenizer {

// A model token: id and byte span inside its split's normalized text.
struct Token {
  uint32_t id;
  uint32_t begin, end;
};

struct Split {
  NormalizedString text;
  bool tokenized = false;  // tokens hold the result (an added token, or the model's output)
  std::vector<Token> tokens;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void pre_tokenize(std::vector<Split> &splits) const = 0;
};

std::unique_ptr<PreTokenizer> parse_pre_tokenizer(const JsonView &v, const ParseContext &ctx);
std::unique_ptr<PreTokenizer> make_bert_pre_tokenizer();

// Applies `fn(text, out)` to every untokenized split, replacing it by the
// non-empty pieces `fn` appends to `out` (HF PreTokenizedString::split).
template <typename Fn>
void split_each(std::vector<Split> &splits, Fn fn) {
  std::vector<Split> result;
  result.reserve(splits.size());
  std::vector<NormalizedString> pieces;
  for (Split &s : splits) {
    if (s.tokenized) {
      result.push_back(std::move(s));
      continue;
    }
    pieces.clear();
    fn(s.text, pieces);
    for (NormalizedString &p : pieces)
      if (!p.empty()) result.push_back(Split{std::move(p), false, {}});
  }
  splits = std::move(result);
}

}  // namespace qeff::tokenizer
