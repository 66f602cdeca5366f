#include "hub/limits.hpp"

namespace qeff::hub {

HubLimits HubLimits::from(const Options &o) {
  HubLimits l;
  l.json.max_bytes = static_cast<uint64_t>(o.get_int("limits.json_bytes"));
  l.json.max_depth = static_cast<int>(o.get_int("limits.json_depth"));
  l.safetensors_header_bytes = static_cast<uint64_t>(o.get_int("limits.safetensors_header_bytes"));
  l.tensor_count = static_cast<uint64_t>(o.get_int("limits.tensor_count"));
  l.tensor_rank = static_cast<unsigned>(o.get_int("limits.tensor_rank"));
  l.shard_count = static_cast<uint64_t>(o.get_int("limits.shard_count"));
  l.config_dim = o.get_int("limits.config_dim");
  return l;
}

}  // namespace qeff::hub
