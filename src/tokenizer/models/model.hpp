// Tokenization models of tokenizer.json ("model"): BPE, WordPiece and
// Unigram. A model turns one pre-tokenized piece of normalized text into
// tokens; it is immutable after loading and safe to share between threads
// (the BPE word cache locks internally).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/component.hpp"
#include "tokenizer/pre_tokenizers.hpp"

namespace qeff::tokenizer {

// Heterogeneous lookup, so that a string_view finds a std::string key
// without allocating.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using TokenMap = std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>>;

// Token strings by id and ids by token string. Ids need not be contiguous
// (a gap has an empty name and is not a token).
class Vocab {
 public:
  // `what` names the field in errors. Throws QEFF_E_LIMIT past the caps,
  // QEFF_E_FORMAT for a duplicate id or token.
  void add(std::string token, uint32_t id, const JsonView &where, const TokenizerLimits &limits);
  std::optional<uint32_t> find(std::string_view token) const {
    auto it = map_.find(token);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  const std::string *name(uint32_t id) const {
    return id < names_.size() && present_[id] ? &names_[id] : nullptr;
  }
  size_t size() const { return map_.size(); }
  size_t id_bound() const { return names_.size(); }
  const TokenMap &map() const { return map_; }
  void reserve(size_t n) { map_.reserve(n); }

 private:
  TokenMap map_;
  std::vector<std::string> names_;
  std::vector<bool> present_;
};

// Reads an object {"token": id, ...} into `vocab`.
void parse_vocab_object(const JsonView &v, const TokenizerLimits &limits, Vocab &vocab);

class Model {
 public:
  virtual ~Model() = default;
  // Appends the tokens of `piece` (spans relative to it) to `out`.
  virtual void tokenize(std::string_view piece, std::vector<Token> &out) const = 0;
  virtual const Vocab &vocab() const = 0;
  // "BPE", "WordPiece", "Unigram".
  virtual const char *kind() const = 0;
};

std::unique_ptr<Model> parse_model(const JsonView &v, const ParseContext &ctx);
std::unique_ptr<Model> parse_bpe(const JsonView &v, const ParseContext &ctx);
std::unique_ptr<Model> parse_wordpiece(const JsonView &v, const ParseContext &ctx);
std::unique_ptr<Model> parse_unigram(const JsonView &v, const ParseContext &ctx);

// A WordPiece model from a BERT vocab.txt (one token per line, id = line
// number). `name` is the file name for messages.
std::unique_ptr<Model> wordpiece_from_vocab_txt(std::string_view text, const std::string &name,
                                                const std::string &unk_token,
                                                const TokenizerLimits &limits);

}  // namespace qeff::tokenizer
