// Shared helpers of the op tests (test_ops_*.cpp): tensors with typed values,
// nodes with attributes, and run_op(), which goes through the registry exactly
// as the compiler does (find_op -> infer -> prepare -> run), on a serial pool
// or on a real 2-thread pool (ThreadParallel) so parallel paths can be
// compared byte for byte with serial ones.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kernels/parallel.hpp"
#include "ops/op.hpp"
#include "unit_test.hpp"

namespace ops_test {

using qeff::graph::Attribute;
using qeff::graph::Node;
using Dims = std::vector<int64_t>;

template <class T>
constexpr qeff_dtype dtype_of() {
  if constexpr (std::is_same_v<T, float>) return QEFF_DTYPE_F32;
  else if constexpr (std::is_same_v<T, double>) return QEFF_DTYPE_F64;
  else if constexpr (std::is_same_v<T, bool>) return QEFF_DTYPE_BOOL;
  else if constexpr (std::is_same_v<T, int8_t>) return QEFF_DTYPE_I8;
  else if constexpr (std::is_same_v<T, int16_t>) return QEFF_DTYPE_I16;
  else if constexpr (std::is_same_v<T, int32_t>) return QEFF_DTYPE_I32;
  else if constexpr (std::is_same_v<T, int64_t>) return QEFF_DTYPE_I64;
  else if constexpr (std::is_same_v<T, uint8_t>) return QEFF_DTYPE_U8;
  else if constexpr (std::is_same_v<T, uint16_t>) return QEFF_DTYPE_F16;  // raw half bits
  else static_assert(sizeof(T) == 0, "unsupported test type");
}

struct Tensor {
  qeff_dtype dtype = QEFF_DTYPE_UNKNOWN;
  Dims shape;
  std::vector<uint8_t> bytes;

  qeff::ops::TensorView view() const { return {dtype, shape, bytes.data()}; }
  template <class T>
  std::vector<T> values() const {
    std::vector<T> v(bytes.size() / sizeof(T));
    if (!v.empty()) std::memcpy(static_cast<void *>(v.data()), bytes.data(), bytes.size());
    return v;
  }
};

template <class T>
Tensor tensor(Dims shape, const std::vector<T> &values, qeff_dtype dt = dtype_of<T>()) {
  Tensor t{dt, std::move(shape), std::vector<uint8_t>(values.size() * sizeof(T))};
  if (!values.empty()) std::memcpy(t.bytes.data(), static_cast<const void *>(values.data()), t.bytes.size());
  return t;
}
// std::vector<bool> is packed: bools get their own builder.
inline Tensor bools(Dims shape, const std::vector<int> &values) {
  std::vector<uint8_t> b(values.begin(), values.end());
  return tensor<uint8_t>(std::move(shape), b, QEFF_DTYPE_BOOL);
}
template <class T>
Tensor scalar(T v) { return tensor<T>({}, {v}); }
inline Tensor i64s(const std::vector<int64_t> &v) { return tensor<int64_t>({static_cast<int64_t>(v.size())}, v); }
inline Tensor f32s(Dims shape, const std::vector<float> &v) { return tensor<float>(std::move(shape), v); }

inline Attribute attr(std::string name, qeff::graph::AttributeValue v) { return {std::move(name), std::move(v)}; }

inline Node make_node(const std::string &op, size_t n_in, size_t n_out, std::vector<Attribute> attrs = {}) {
  Node n;
  n.op_type = op;
  n.name = op + "_0";
  for (size_t i = 0; i < n_in; ++i) n.inputs.push_back("in" + std::to_string(i));
  for (size_t i = 0; i < n_out; ++i) n.outputs.push_back("out" + std::to_string(i));
  n.attributes = std::move(attrs);
  return n;
}

// A real pool: two std::threads per parallel_for, on contiguous halves.
class ThreadParallel final : public qeff::kernels::Parallel {
 public:
  int num_threads() const override { return 2; }
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)> &fn) override {
    if (n <= 0) return;
    if (n == 1) return fn(0, 1);
    const int64_t mid = n / 2;
    std::thread t([&] { fn(0, mid); });
    fn(mid, n);
    t.join();
    ++calls;
  }
  int calls = 0;
};

struct RunOptions {
  int64_t opset = 17;
  qeff::kernels::Parallel *parallel = nullptr;
  // Inputs whose values infer/prepare see (the compile-time constants); by
  // default every given input.
  std::optional<std::vector<bool>> known = std::nullopt;
  // Output 0 is input 0's buffer (the planner's aliasing of kInPlace/kView ops).
  bool in_place = false;
};

// Input types and compile-time values as the compiler hands them to infer/prepare.
struct BoundInputs {
  std::vector<qeff::graph::TensorType> types;
  std::vector<qeff::ops::TensorView> views;
  std::vector<const qeff::ops::TensorView *> values;
};

inline std::unique_ptr<BoundInputs> bind_inputs(const std::vector<std::optional<Tensor>> &inputs,
                                                const RunOptions &opt) {
  auto b = std::make_unique<BoundInputs>();
  b->views.reserve(inputs.size());  // values point into views
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto &in = inputs[i];
    b->types.push_back(in ? qeff::ops::make_type(in->dtype, in->shape) : qeff::graph::TensorType{});
    b->views.push_back(in ? in->view() : qeff::ops::TensorView{});
    bool known = in && (!opt.known || (i < opt.known->size() && (*opt.known)[i]));
    b->values.push_back(known ? &b->views.back() : nullptr);
  }
  return b;
}

// find_op -> infer -> prepare -> run with fresh output buffers (filled with
// 0xCD so stale bytes show); returns the outputs with their inferred types.
// An omitted input is std::nullopt.
inline std::vector<Tensor> run_op(const Node &node, const std::vector<std::optional<Tensor>> &inputs,
                                  RunOptions opt = {}) {
  const qeff::ops::OpDef *def = qeff::ops::find_op(node.domain, node.op_type);
  if (def == nullptr) qeff::fail(QEFF_E_UNSUPPORTED, "test: op not registered: " + node.op_type);
  std::unique_ptr<BoundInputs> bound = bind_inputs(inputs, opt);
  const auto &types = bound->types;
  const auto &values = bound->values;
  qeff::ops::InferContext ic{node, opt.opset, types, values};
  std::vector<qeff::graph::TensorType> out_types = def->infer(ic);
  qeff::ops::PrepareContext pc{node, opt.opset, types, out_types, values};
  std::unique_ptr<qeff::ops::Kernel> kernel = def->prepare(pc);
  std::vector<Tensor> outs;
  for (const auto &t : out_types) {
    Dims d = qeff::ops::dims_of(t);
    uint64_t n = 1;
    for (int64_t x : d) n *= static_cast<uint64_t>(x);
    outs.push_back({t.dtype, d, std::vector<uint8_t>(*qeff::graph::byte_size(t.dtype, n), 0xCD)});
  }
  std::vector<const void *> in_ptrs;
  for (const auto &in : inputs) in_ptrs.push_back(in ? static_cast<const void *>(in->bytes.data()) : nullptr);
  std::vector<void *> out_ptrs;
  for (auto &o : outs) out_ptrs.push_back(o.bytes.data());
  if (opt.in_place) {
    if (outs.empty() || !inputs[0] || outs[0].bytes.size() != inputs[0]->bytes.size())
      qeff::fail(QEFF_E_INTERNAL, "test: in_place needs output 0 as large as input 0");
    outs[0].bytes = inputs[0]->bytes;
    out_ptrs[0] = outs[0].bytes.data();
    in_ptrs[0] = outs[0].bytes.data();
  }
  const size_t ws_bytes = kernel ? static_cast<size_t>(kernel->workspace_bytes()) : 0;
  void *ws = ws_bytes ? std::aligned_alloc(64, (ws_bytes + 63) / 64 * 64) : nullptr;
  qeff::kernels::SerialParallel serial;
  qeff::ops::RunArgs args{in_ptrs.data(), out_ptrs.data(), ws, opt.parallel ? opt.parallel : &serial};
  try {
    if (kernel) kernel->run(args);
  } catch (...) {
    std::free(ws);
    throw;
  }
  std::free(ws);
  return outs;
}

// Infer only (for shape and error tests).
inline std::vector<qeff::graph::TensorType> infer_op(const Node &node, const std::vector<std::optional<Tensor>> &inputs,
                                                     RunOptions opt = {}) {
  const qeff::ops::OpDef *def = qeff::ops::find_op(node.domain, node.op_type);
  if (def == nullptr) qeff::fail(QEFF_E_UNSUPPORTED, "test: op not registered: " + node.op_type);
  std::unique_ptr<BoundInputs> bound = bind_inputs(inputs, opt);
  const auto &types = bound->types;
  const auto &values = bound->values;
  return def->infer({node, opt.opset, types, values});
}

// Runs once serially and once on ThreadParallel; expects identical bytes and
// that the pool was actually used.
inline std::vector<Tensor> run_both(const Node &node, const std::vector<std::optional<Tensor>> &inputs,
                                    RunOptions opt = {}) {
  std::vector<Tensor> serial = run_op(node, inputs, opt);
  ThreadParallel pool;
  opt.parallel = &pool;
  std::vector<Tensor> threaded = run_op(node, inputs, opt);
  EXPECT_GT(pool.calls, 0) << node.op_type << ": the parallel path was not taken";
  EXPECT_EQ(serial.size(), threaded.size());
  for (size_t i = 0; i < serial.size() && i < threaded.size(); ++i)
    EXPECT_TRUE(serial[i].bytes == threaded[i].bytes) << node.op_type << ": output " << i << " differs";
  return serial;
}

}  // namespace ops_test
