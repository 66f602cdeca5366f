// Pass 2 of the compiler (docs/compiler.md): rewrites a specialized graph into
// kernel calls. Each rule is small and named; each keeps the graph's values
// and outputs, only merging nodes:
//  - gelu_erf:        x * 0.5 * (1 + erf(x / sqrt 2)) in its exported forms -> Gelu
//  - int4_weights:    MatMul(x, Transpose(qeff.Int4Dequantize(constants))) (a
//                     pre-quantized checkpoint's Linear) -> PackedMatMul with
//                     the 4-bit values packed unchanged (ops::pack_int4_weight)
//  - pack_weights:    MatMul / Gemm (alpha = beta = 1, transA = 0) with a
//                     constant 2-D weight, or MatMul reading a deferred
//                     Transpose(W) (specialize.hpp) packed from W as stored
//                     -> qeff.cpu.PackedMatMul with the weight packed once
//                     (ops::pack_matmul_weight)
//  - bias:            PackedMatMul -> Add(y, b[N]) => bias input
//  - activation:      PackedMatMul -> Relu/Gelu/Sigmoid/Tanh, or y * Sigmoid(y)
//                     (SiLU) => activation epilogue
//  - residual:        PackedMatMul -> Add(y, r) with r of y's type => residual input
//  - mxint8_attention: qeff.Attention reading MxInt8Dequantize(K / V) ->
//                     qeff.cpu.Attention reading the MXINT8 rows in place
// A consumer merged into its producer takes the consumer's place in the node
// order (every input of the fused node is then already computed). A rule
// applies only when the intermediate value has no other reader and is not a
// graph output. Then dead nodes are removed.
#pragma once

#include "compiler/specialize.hpp"

namespace qeff::compiler {

struct FuseOptions {
  qeff_dtype weight_dtype = QEFF_DTYPE_F32;  // storage of packed float weights
  bool dequantize_int4 = false;              // int4_weights: dequantize and store as weight_dtype
  int64_t int4_group = 32;                   // k per scale of U4 weights quantized here (32 or 128)
};

void fuse(SpecializedGraph &g, FoldCache &cache, const FuseOptions &options);

// Removes nodes none of whose outputs is read (by a node or a graph output),
// and compile-time values nothing reads.
void remove_dead_nodes(SpecializedGraph &g);

}  // namespace qeff::compiler
