// generation_config.json: defaults for text generation. Values out of range are
// rejected at load with QEFF_E_CONFIG (the same rules the generate options use).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/json.hpp"

namespace qeff::hub {

struct GenerationConfig {
  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_ids;
  std::optional<int64_t> pad_token_id;
  std::optional<int64_t> max_length;
  std::optional<int64_t> max_new_tokens;
  bool do_sample = false;
  std::optional<double> temperature;
  std::optional<int64_t> top_k;
  std::optional<double> top_p;
  std::optional<double> min_p;
  std::optional<double> repetition_penalty;
};

GenerationConfig parse_generation_config(const JsonDocument &doc);

}  // namespace qeff::hub
