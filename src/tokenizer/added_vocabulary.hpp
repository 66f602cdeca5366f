// Added tokens (tokenizer.json "added_tokens"): strings matched in the text
// before the model sees it, with HF's flags special / lstrip / rstrip /
// single_word / normalized. Tokens with normalized=false are matched in the
// raw text, the others in the normalized text (HF AddedVocabulary::
// extract_and_normalize), leftmost-longest. Special tokens are matched only
// when the caller asks for it (RELIABILITY B8.69): by default their strings
// are ordinary text.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokenizer/component.hpp"
#include "tokenizer/models/model.hpp"
#include "tokenizer/normalizers.hpp"
#include "tokenizer/pre_tokenizers.hpp"

namespace qeff::tokenizer {

struct AddedToken {
  std::string content;
  uint32_t id = 0;
  bool special = false, lstrip = false, rstrip = false, single_word = false, normalized = false;
};

class AddedVocabulary {
 public:
  // Parses the "added_tokens" array, checking ids against the model vocabulary
  // (an added token whose content is in the vocabulary must carry that id).
  void parse(const JsonView &list, const Model &model, const TokenizerLimits &limits);
  // Adds one token (tokenizer_config-only setups).
  void add(AddedToken token);
  // Builds the matchers; `normalizer` normalizes the content of tokens with
  // normalized=true, as HF does.
  void build(const Normalizer *normalizer);

  // Splits `text` into splits: added tokens (tokenized) and normalized text.
  void extract_and_normalize(std::string_view text, const Normalizer *normalizer, bool parse_special,
                             std::vector<Split> &out) const;

  const AddedToken *find_id(uint32_t id) const;
  const AddedToken *find_content(std::string_view content) const;
  bool is_special_id(uint32_t id) const;
  const std::vector<AddedToken> &tokens() const { return tokens_; }

 private:
  struct Matcher;
  void split_with(const Matcher &m, NormalizedString &&s, bool parse_special, std::vector<Split> &out) const;

  std::vector<AddedToken> tokens_;
  std::unordered_map<uint32_t, size_t> by_id_;
  std::unordered_map<std::string, size_t, StringHash, std::equal_to<>> by_content_;
  std::shared_ptr<Matcher> raw_, normalized_;
};

}  // namespace qeff::tokenizer
