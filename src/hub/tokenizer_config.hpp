// tokenizer_config.json (+ special_tokens_map.json): special tokens, BOS/EOS
// insertion, maximum length and padding side. The tokenizer layer consumes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/json.hpp"

namespace qeff::hub {

struct TokenizerConfig {
  std::optional<std::string> bos_token, eos_token, pad_token, unk_token;
  std::optional<bool> add_bos_token, add_eos_token;
  std::optional<int64_t> model_max_length;  // nullopt: unlimited (HF writes 1e30)
  std::string padding_side = "right";
  std::string tokenizer_class;
  std::optional<std::string> chat_template;  // the default template text
};

TokenizerConfig parse_tokenizer_config(const JsonDocument &doc);

// Fills tokens missing from `config` with those of special_tokens_map.json.
void merge_special_tokens_map(TokenizerConfig &config, const JsonDocument &doc);

}  // namespace qeff::hub
