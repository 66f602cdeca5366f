// Constant folding: running one op on compile-time values with the same
// kernel the runtime would use (ops/op.hpp), on the calling thread.
#pragma once

#include <vector>

#include "compiler/specialize.hpp"

namespace qeff::compiler {

std::vector<KnownValue> evaluate(const ops::OpDef &def, const graph::Node &node, int64_t opset,
                                 const std::vector<graph::TensorType> &inputs,
                                 const std::vector<const ops::TensorView *> &values,
                                 const std::vector<graph::TensorType> &outputs);

// Folds the nodes producing g.deferred values that are still in g (the
// fuser did not pack them), in order, with their results shared through
// `cache` like specialize's folds; then drops the compile-time values nothing
// reads any more.
void fold_deferred(SpecializedGraph &g, FoldCache &cache);

}  // namespace qeff::compiler
