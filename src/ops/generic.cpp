// The generic ONNX op table: every op of onnx_io::kSupportedOps except
// MatMul/Gemm (ops/linear.cpp) and Softmax/LogSoftmax/LayerNormalization
// (ops/nn.cpp). Each group lives in its own ops/generic_<group>.cpp; see
// docs/ops.md for coverage, dtypes and the index-error policy.
#include "ops/generic_util.hpp"
#include "ops/tables.hpp"

namespace qeff::ops::tables {

std::vector<OpDef> generic() {
  std::vector<OpDef> all;
  for (auto group : {generic::elementwise_ops, generic::unary_ops, generic::shape_ops, generic::movement_ops,
                     generic::indexing_ops, generic::reduce_ops, generic::misc_ops})
    for (const OpDef &d : group()) all.push_back(d);
  return all;
}

}  // namespace qeff::ops::tables
