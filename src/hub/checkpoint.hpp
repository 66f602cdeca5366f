// The weights of a model directory: one model.safetensors, or a sharded
// checkpoint (model.safetensors.index.json naming the shard of every tensor).
// Precedence, as in transformers: model.safetensors, then the index. Pickle and
// other framework formats are refused.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/files.hpp"
#include "hub/limits.hpp"
#include "hub/safetensors.hpp"

namespace qeff::hub {

class Checkpoint {
 public:
  // Throws QEFF_E_NOT_FOUND (no weights, missing shard), QEFF_E_UNSUPPORTED
  // (pickle / TF / Flax / GGUF files only), QEFF_E_FORMAT, QEFF_E_LIMIT,
  // QEFF_E_SECURITY (a shard name escaping the directory), QEFF_E_MISMATCH (a
  // tensor missing from the shard the index names).
  static Checkpoint load(const FileRoot &root, const HubLimits &limits);

  const std::vector<const TensorView *> &tensors() const { return tensors_; }  // sorted by name
  const TensorView *find(const std::string &name) const;
  const std::vector<SafetensorsFile> &files() const { return files_; }
  bool sharded() const { return sharded_; }
  uint64_t num_parameters() const;
  uint64_t num_bytes() const;

 private:
  std::vector<SafetensorsFile> files_;
  std::vector<const TensorView *> tensors_;
  bool sharded_ = false;
};

}  // namespace qeff::hub
