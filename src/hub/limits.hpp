// The resource caps the hub layer enforces, read from the "limits.*" options.
#pragma once

#include <cstdint>

#include "common/json.hpp"
#include "common/options.hpp"

namespace qeff::hub {

struct HubLimits {
  JsonLimits json;
  uint64_t safetensors_header_bytes = 100000000;
  uint64_t tensor_count = 1000000;
  unsigned tensor_rank = 8;
  uint64_t shard_count = 10000;
  int64_t config_dim = 16777216;

  static HubLimits from(const Options &options);
};

}  // namespace qeff::hub
