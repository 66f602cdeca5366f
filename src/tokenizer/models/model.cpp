#include "tokenizer/models/model.hpp"

#include <cjson/cJSON.h>

#include "common/error.hpp"

namespace qeff::tokenizer {

void Vocab::add(std::string token, uint32_t id, const JsonView &where, const TokenizerLimits &limits) {
  if (token.size() > limits.token_bytes)
    where.fail_here(QEFF_E_LIMIT, "has a token of " + std::to_string(token.size()) +
                                      " bytes, above the limit of " + std::to_string(limits.token_bytes));
  if (map_.size() >= limits.vocab_size || id >= limits.vocab_size)
    where.fail_here(QEFF_E_LIMIT, "has more tokens (or a larger id: " + std::to_string(id) +
                                      ") than the vocabulary limit of " + std::to_string(limits.vocab_size));
  if (id >= names_.size()) {
    names_.resize(static_cast<size_t>(id) + 1);
    present_.resize(static_cast<size_t>(id) + 1, false);
  }
  if (present_[id])
    where.fail_here(QEFF_E_FORMAT, "gives id " + std::to_string(id) + " to both " +
                                       quote(names_[id]) + " and " + quote(token));
  auto [it, inserted] = map_.emplace(token, id);
  if (!inserted) where.fail_here(QEFF_E_FORMAT, "lists token " + quote(token) + " twice");
  names_[id] = std::move(token);
  present_[id] = true;
}

void parse_vocab_object(const JsonView &v, const TokenizerLimits &limits, Vocab &vocab) {
  if (!v.is_object()) v.type_error("an object {token: id}");
  if (v.size() > limits.vocab_size)
    v.fail_here(QEFF_E_LIMIT, "has " + std::to_string(v.size()) + " entries, above the limit of " +
                                  std::to_string(limits.vocab_size));
  vocab.reserve(v.size());
  for_each_member(v, [&](std::string_view key, const cJSON *node) {
    double d = cJSON_IsNumber(node) ? node->valuedouble : -1;
    if (!(d >= 0 && d < 4294967295.0 && d == static_cast<double>(static_cast<uint32_t>(d))))
      member_view(v, key, node).type_error("a token id (integer in [0, 2^32-2])");
    vocab.add(std::string(key), static_cast<uint32_t>(d), v, limits);
  });
}

std::unique_ptr<Model> parse_model(const JsonView &v, const ParseContext &ctx) {
  if (!v.is_object()) v.type_error("a model object");
  std::string type;
  if (v.get("type").present()) {
    type = v.get("type").as_string();
  } else {
    // Files from tokenizers < 0.11 omit the model type; infer it as HF does.
    if (v.get("merges").present()) type = "BPE";
    else if (v.get("continuing_subword_prefix").present() || v.get("max_input_chars_per_word").present())
      type = "WordPiece";
    else if (v.get("vocab").is_array()) type = "Unigram";
    else v.fail_here(QEFF_E_FORMAT, "has no \"type\" and is not recognisably BPE, WordPiece or Unigram");
  }
  if (type == "BPE") return parse_bpe(v, ctx);
  if (type == "WordPiece") return parse_wordpiece(v, ctx);
  if (type == "Unigram") return parse_unigram(v, ctx);
  unknown_component(v, "model", type);
}

}  // namespace qeff::tokenizer
