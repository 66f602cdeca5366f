// qeff's fused operations, exported as ONNX local functions (domain "qeff")
// whose bodies use only standard opset-17 ops: ONNX Runtime runs the file, and
// qeff's compiler recognises the function by name and calls a fused kernel.
//
// | function    | inputs                         | attributes                | QEfficient equivalent |
// | RMSNorm     | X, weight                      | epsilon (float)           | CustomRMSNorm         |
// | Rotary      | X[b,h,s,d], cos[b,s,d], sin    | -                         | (inline in its export)|
// | Attention   | Q[b,hq,s,d], K[b,hkv,t,d], V,  | scale (float),            | (eager attention with |
// |             | mask[b,1|hq,s,t] (bool, true = | num_kv_groups (int),      |  repeat_kv and        |
// |             | masked out)                    | masked_value (float)      |  torch.where masking) |
// | CtxScatter  | data[b,h,c,d], position_ids    | -                         | CtxScatter            |
// |             | [b,s], updates[b,h,s,d]        |                           |                       |
// | CtxGather   | data[b,h,c,d], ctx_indices[b,n]| -                         | CtxGather             |
// | MeanPool, MaxPool, ClsPool, LastTokenPool                                                     |
// |             | X[b,s,h], mask[b,s] -> Y[b,h]  | -                         | (sentence-transformers|
// |             |                                |                           |  Pooling modes)       |
//
// docs/onnx.md states each function's exact math.
#pragma once

#include <string>
#include <vector>

#include "graph/ir.hpp"

namespace onnx {
class ModelProto;
}

namespace qeff::onnx_io {

inline constexpr const char *kQeffDomain = "qeff";
inline constexpr int64_t kQeffDomainVersion = 1;

struct FunctionSpec {
  const char *name;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<std::string> attributes;  // all required (ONNX 1.12 functions have no defaults)
};

const std::vector<FunctionSpec> &qeff_functions();
// nullptr unless `domain` is "qeff" and `name` is one of ours.
const FunctionSpec *find_qeff_function(const std::string &domain, const std::string &name);

// Adds a FunctionProto for every qeff op the graph uses (once each) and the
// "qeff" opset import. Throws QEFF_E_UNSUPPORTED for an unknown qeff op and
// QEFF_E_FORMAT for a node missing a required attribute or with the wrong arity.
void add_functions(const graph::Graph &graph, onnx::ModelProto *model);

}  // namespace qeff::onnx_io
