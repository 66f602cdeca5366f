// PEFT adapter_config.json (LoRA). Parsed and validated here; applying adapters
// to a graph is the transforms layer's job. Anything that would change the math
// in a way qeff does not implement is rejected, never silently ignored.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/json.hpp"

namespace qeff::hub {

struct AdapterConfig {
  std::string base_model_name_or_path;
  int64_t r = 0;
  double lora_alpha = 0.0;
  double lora_dropout = 0.0;
  std::vector<std::string> target_modules;  // module names, e.g. "q_proj"
  std::string bias = "none";
  bool fan_in_fan_out = false;
  double scaling() const { return lora_alpha / static_cast<double>(r); }
};

// Throws QEFF_E_UNSUPPORTED naming the field (peft_type other than LORA, DoRA,
// rsLoRA, rank/alpha patterns, modules_to_save, layers_to_transform, regex
// target_modules, bias other than "none"), QEFF_E_CONFIG (r < 1, alpha not > 0).
AdapterConfig parse_adapter_config(const JsonDocument &doc);

}  // namespace qeff::hub
