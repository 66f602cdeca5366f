// The op set the compiler and the runtime share (see docs/compiler.md). Each op
// (an ONNX op of onnx_io::kSupportedOps, a qeff fused op, or an op the
// compiler's fusion pass produces) is one OpDef with:
//  - infer:   concrete output types from concrete input types, and from the
//             values of inputs known at compile time (shape tensors, axes, ...);
//  - prepare: a Kernel for one node with fixed input/output types, given the
//             compile-time constant inputs (e.g. packed weights); prepared
//             once, then run any number of times, from any number of threads
//             at once (run is const and keeps no state between calls);
//  - flags:   how the memory planner may place its outputs.
// Constant folding is prepare + run on constant inputs, so the compiler and
// the runtime can never disagree on what an op computes.
//
// Semantics are ONNX's at the node's opset (Graph::opsets), and for domain
// "qeff" those of the local functions in src/onnx/functions.cpp (which ONNX
// Runtime runs, so the two executors can be compared). Tensors are dense,
// row-major, little-endian, with fixed shapes; a rank-0 tensor has one element.
// An op given types it does not handle fails with qeff::Error
// (QEFF_E_UNSUPPORTED for valid ONNX outside our coverage, QEFF_E_FORMAT for
// invalid attributes/shapes) naming the node, e.g.
//   node "layers.0/MatMul_3" (MatMul): inner dimensions differ: [2, 8] x [4, 16]
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "graph/ir.hpp"
#include "kernels/parallel.hpp"

namespace qeff::ops {

// A concrete tensor: dtype, fixed shape, and bytes (not owned).
struct TensorView {
  qeff_dtype dtype = QEFF_DTYPE_UNKNOWN;
  std::vector<int64_t> shape;
  const void *data = nullptr;

  int64_t numel() const;
  template <class T>
  const T *as() const { return static_cast<const T *>(data); }
};

// Fixed dims of a type (the compiler only calls ops with fixed shapes).
std::vector<int64_t> dims_of(const graph::TensorType &type);
graph::TensorType make_type(qeff_dtype dtype, const std::vector<int64_t> &dims);

struct InferContext {
  const graph::Node &node;
  int64_t opset = 17;                      // the version of the node's domain
  std::vector<graph::TensorType> inputs;   // fixed shapes; an omitted optional input has dtype UNKNOWN
  std::vector<const TensorView *> values;  // compile-time values of inputs, nullptr when not known
};

// Execution-time arguments of one kernel call: buffers of the types given to
// prepare (contiguous), a workspace of workspace_bytes() (64-byte aligned),
// and the thread pool.
struct RunArgs {
  const void *const *inputs = nullptr;  // an omitted optional input is nullptr
  void *const *outputs = nullptr;
  void *workspace = nullptr;
  kernels::Parallel *parallel = nullptr;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual void run(const RunArgs &args) const = 0;
  // Scratch memory run() needs, planned into the session arena.
  virtual uint64_t workspace_bytes() const { return 0; }
};

struct PrepareContext {
  const graph::Node &node;
  int64_t opset = 17;
  std::vector<graph::TensorType> inputs;   // fixed
  std::vector<graph::TensorType> outputs;  // fixed (from infer)
  std::vector<const TensorView *> constants;  // inputs known at compile time, else nullptr
};

enum OpFlags : unsigned {
  kNone = 0,
  // Output 0 is input 0's bytes under another shape (Reshape, Squeeze,
  // Unsqueeze, Flatten, Identity, Dropout at inference): no kernel runs, the
  // planner aliases the buffers. prepare may return nullptr.
  kView = 1u << 0,
  // run() is correct when output 0 is the same buffer as input 0 (same dtype
  // and element count): elementwise ops, Softmax, CtxScatter, ...
  kInPlace = 1u << 1,
  // run() reads none of its inputs' bytes: the outputs follow from the input
  // types alone (Shape, Size). The compiler folds such a node even when its
  // input is computed at run time, running it with null input pointers.
  kTypeOnly = 1u << 2,
  // A compiler fusion rule consumes it with its constant inputs as they are
  // (qeff.Int4Dequantize: packed 4-bit weights), so the compiler does not
  // fold it when its inputs are constants; a node no rule takes runs as usual.
  kFuseFirst = 1u << 3,
};

using InferFn = std::vector<graph::TensorType> (*)(const InferContext &);
using PrepareFn = std::unique_ptr<Kernel> (*)(const PrepareContext &);

struct OpDef {
  std::string_view domain;   // "" (ONNX) or "qeff"
  std::string_view op_type;
  InferFn infer = nullptr;
  PrepareFn prepare = nullptr;
  unsigned flags = kNone;
};

// The registered op for (domain, op_type), or nullptr.
const OpDef *find_op(std::string_view domain, std::string_view op_type);
// Every registered op (for docs and tests).
std::vector<const OpDef *> all_ops();

// "node \"name\" (Op)" for messages.
std::string node_label(const graph::Node &node);

}  // namespace qeff::ops
