// config.json as a typed ModelConfig. Field names differ between families
// (GPT-2's n_embd, DistilBERT's dim, ...): each canonical field lists its aliases
// and the first one present wins. Multimodal configs keep the language model in a
// nested "text_config", which is read when the top level has no sizes. Unknown
// fields stay available through the JSON document kept next to the config.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "hub/architectures.hpp"
#include "qeff/qeff.h"

namespace qeff::hub {

struct RopeScaling {
  std::string type;  // "linear", "dynamic", "llama3", "yarn", ...
  double factor = 1.0;
  std::optional<double> low_freq_factor;
  std::optional<double> high_freq_factor;
  std::optional<int64_t> original_max_position_embeddings;
};

struct ModelConfig {
  std::vector<std::string> architectures;
  std::string architecture;  // architectures[0]
  std::string model_type;
  const ArchitectureInfo *arch = nullptr;

  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;
  int64_t intermediate_size = 0;
  std::optional<int64_t> max_position_embeddings;
  std::optional<int64_t> type_vocab_size;

  std::string hidden_act;
  std::optional<double> norm_eps;
  double rope_theta = 10000.0;
  std::optional<RopeScaling> rope_scaling;
  std::optional<double> partial_rotary_factor;
  std::optional<int64_t> sliding_window;
  bool attention_bias = false;
  bool tie_word_embeddings = false;

  std::string torch_dtype;  // "float32", "bfloat16", ... ("" when absent)
  qeff_dtype dtype = QEFF_DTYPE_UNKNOWN;

  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_ids;
  std::optional<int64_t> pad_token_id;
  bool nested_text_config = false;
};

// Parses and validates config.json (already parsed as `doc`). Throws
// QEFF_E_UNSUPPORTED (no/unknown architecture, listing the supported ones),
// QEFF_E_CONFIG (wrong types, missing or invalid values), QEFF_E_LIMIT (sizes
// above limits.config_dim).
ModelConfig parse_model_config(const JsonDocument &doc, int64_t config_dim);

// Reads an id field that may be an integer or a list of integers (eos_token_id).
std::vector<int64_t> read_id_list(const JsonView &obj, const char *key);

}  // namespace qeff::hub
