// The compile-time side of qeff.Int4Dequantize (ops/nn_int4.cpp): packing the
// weight it stands for for the GEMM kernels, used by the compiler's
// int4_weights rule (compiler/fuse.cpp).
#pragma once

#include "ops/linear.hpp"
#include "ops/op.hpp"

namespace qeff::ops {

// The packed B = W^T of MatMul(x, Transpose(Int4Dequantize(q, scale,
// zero_point))) for the Int4Dequantize node `node` with these constant inputs.
// keep: the checkpoint's 4-bit values, zero points and scales (as f16) go
// unchanged into a 4-bit layout (gemm_q4_pack_values) whose groups its groups
// fit: q4.strip128x128h for groups that are multiples of 128 k (or the whole
// K), else q4.strip128x32h for multiples of 32 (the same products either way;
// the larger groups store fewer scales). Otherwise (not keep, or groups that
// fit neither, e.g. 16 k per scale) the weight is dequantized exactly and
// packed as `storage` (pack_matmul_weight with int4_group; F32 when keep).
PackedWeight pack_int4_weight(const graph::Node &node, const TensorView &q, const TensorView &scale,
                              const TensorView &zero, bool keep, qeff_dtype storage, int64_t int4_group);

}  // namespace qeff::ops
