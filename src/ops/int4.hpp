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
// unchanged into kernels' q4 layout (gemm_q4_pack_values) when its blocks fit
// the groups; otherwise (not keep, or groups that do not fit, e.g. 16 k per
// scale) the weight is dequantized exactly and packed as `storage`
// (pack_matmul_weight; F32 when keep).
PackedWeight pack_int4_weight(const graph::Node &node, const TensorView &q, const TensorView &scale,
                              const TensorView &zero, bool keep, qeff_dtype storage);

}  // namespace qeff::ops
