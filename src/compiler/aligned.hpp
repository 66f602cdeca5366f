// Compile-time constants in aligned memory owned through WeightData.
#pragma once

#include <cstdint>

#include "common/aligned.hpp"
#include "graph/ir.hpp"

namespace qeff::compiler {

// `bytes` zeroed bytes, 64-byte aligned; *data points at them for filling.
graph::WeightData aligned_weight(uint64_t bytes, uint8_t **data);
// An aligned block of `bytes` bytes (make_aligned) owned by the weight from now on.
graph::WeightData adopt_aligned(AlignedPtr block, uint64_t bytes);

}  // namespace qeff::compiler
