// The qeff fused ops other than Attention (nn_attention.cpp): RMSNorm,
// Rotary, CtxScatter, CtxGather and the four pooling ops. Their semantics are
// the ONNX local-function bodies of src/onnx/functions.cpp.
#include "common/dtype.hpp"
#include "graph/ir.hpp"
#include "kernels/kv_cache.hpp"
#include "kernels/norm.hpp"
#include "kernels/pool.hpp"
#include "kernels/rotary.hpp"
#include "ops/nn_common.hpp"

namespace qeff::ops::nn {
namespace {

const float *in_f32(const RunArgs &args, size_t i) { return static_cast<const float *>(args.inputs[i]); }
float *out_f32(const RunArgs &args) { return static_cast<float *>(args.outputs[0]); }

// ---- RMSNorm: Y = X / sqrt(mean(X^2, -1) + epsilon) * weight ------------------

std::vector<graph::TensorType> infer_rms_norm(const InferContext &ctx) {
  expect_arity(ctx, 2, 2);
  expect_dtype(ctx, 0, "X", {QEFF_DTYPE_F32});
  expect_dtype(ctx, 1, "weight", {QEFF_DTYPE_F32});
  required_float(ctx.node, "epsilon");
  const std::vector<int64_t> x = input_dims(ctx, 0, "X");
  if (x.empty()) fail_node(ctx.node, QEFF_E_FORMAT, "input X must have rank >= 1, got a scalar");
  expect_row_param(ctx.node, "weight", input_dims(ctx, 1, "weight"), {x.back()});
  return {ctx.inputs[0]};
}

class RmsNormKernel final : public Kernel {
 public:
  RmsNormKernel(int64_t rows, int64_t n, float eps) : rows_(rows), n_(n), eps_(eps) {}
  void run(const RunArgs &args) const override {
    kernels::rms_norm(in_f32(args, 0), in_f32(args, 1), out_f32(args), rows_, n_, eps_, parallel_of(args));
  }

 private:
  int64_t rows_, n_;
  float eps_;
};

std::unique_ptr<Kernel> prepare_rms_norm(const PrepareContext &ctx) {
  const std::vector<int64_t> x = dims_of(ctx.inputs[0]);
  return std::make_unique<RmsNormKernel>(product(x, 0, x.size() - 1), x.back(), required_float(ctx.node, "epsilon"));
}

// ---- Rotary: Y = X cos + rotate_half(X) sin, cos/sin [b or 1, s, d] ------------

std::vector<graph::TensorType> infer_rotary(const InferContext &ctx) {
  expect_arity(ctx, 3, 3);
  expect_dtype(ctx, 0, "X", {QEFF_DTYPE_F32});
  expect_dtype(ctx, 1, "cos", {QEFF_DTYPE_F32});
  expect_dtype(ctx, 2, "sin", {QEFF_DTYPE_F32});
  const std::vector<int64_t> x = input_dims(ctx, 0, "X", 4);
  const std::vector<int64_t> c = input_dims(ctx, 1, "cos", 3), s = input_dims(ctx, 2, "sin", 3);
  if (x[3] % 2 != 0)
    fail_node(ctx.node, QEFF_E_FORMAT, "head dimension of X " + shape_str(x) + " must be even (rotate_half)");
  if (c != s) fail_node(ctx.node, QEFF_E_FORMAT, "cos " + shape_str(c) + " and sin " + shape_str(s) + " differ");
  if ((c[0] != 1 && c[0] != x[0]) || c[1] != x[2] || c[2] != x[3])
    fail_node(ctx.node, QEFF_E_FORMAT,
              "cos/sin " + shape_str(c) + " do not match X " + shape_str(x) + " (expected [1 or batch, seq, dim])");
  return {ctx.inputs[0]};
}

class RotaryKernel final : public Kernel {
 public:
  RotaryKernel(std::vector<int64_t> x, int64_t cos_batch) : x_(std::move(x)), cos_batch_(cos_batch) {}
  void run(const RunArgs &args) const override {
    kernels::rotary(in_f32(args, 0), in_f32(args, 1), in_f32(args, 2), out_f32(args), x_[0], x_[1], x_[2], x_[3],
                    cos_batch_, parallel_of(args));
  }

 private:
  std::vector<int64_t> x_;
  int64_t cos_batch_;
};

std::unique_ptr<Kernel> prepare_rotary(const PrepareContext &ctx) {
  return std::make_unique<RotaryKernel>(dims_of(ctx.inputs[0]), dims_of(ctx.inputs[1])[0]);
}

// ---- CtxScatter / CtxGather -------------------------------------------------

// data [b, h, c, d] of any whole-byte type; positions [b or 1, s] int64/int32.
std::vector<int64_t> cache_dims(const InferContext &ctx) {
  const std::vector<int64_t> data = input_dims(ctx, 0, "data", 4);
  const unsigned bits = dtype_bits(ctx.inputs[0].dtype);
  if (bits == 0 || bits % 8 != 0)
    fail_node(ctx.node, QEFF_E_UNSUPPORTED,
              std::string("cache element type ") + dtype_name(ctx.inputs[0].dtype) + " is not supported");
  expect_dtype(ctx, 1, ctx.node.op_type == "CtxScatter" ? "position_ids" : "ctx_indices",
               {QEFF_DTYPE_I64, QEFF_DTYPE_I32});
  const std::vector<int64_t> pos = input_dims(ctx, 1, "positions", 2);
  if (pos[0] != 1 && pos[0] != data[0])
    fail_node(ctx.node, QEFF_E_FORMAT,
              "positions " + shape_str(pos) + " do not match the cache batch of " + shape_str(data));
  return data;
}

std::vector<graph::TensorType> infer_ctx_scatter(const InferContext &ctx) {
  expect_arity(ctx, 3, 3);
  const std::vector<int64_t> data = cache_dims(ctx);
  const std::vector<int64_t> pos = dims_of(ctx.inputs[1]);
  if (ctx.inputs[2].dtype != ctx.inputs[0].dtype)
    fail_node(ctx.node, QEFF_E_FORMAT,
              std::string("updates are ") + dtype_name(ctx.inputs[2].dtype) + ", the cache " +
                  dtype_name(ctx.inputs[0].dtype));
  const std::vector<int64_t> upd = input_dims(ctx, 2, "updates", 4);
  const std::vector<int64_t> want = {data[0], data[1], pos[1], data[3]};
  if (upd != want)
    fail_node(ctx.node, QEFF_E_FORMAT,
              "updates " + shape_str(upd) + " do not match cache " + shape_str(data) + " and positions " +
                  shape_str(pos) + " (expected " + shape_str(want) + ")");
  return {ctx.inputs[0]};
}

std::vector<graph::TensorType> infer_ctx_gather(const InferContext &ctx) {
  expect_arity(ctx, 2, 2);
  const std::vector<int64_t> data = cache_dims(ctx);
  const std::vector<int64_t> pos = dims_of(ctx.inputs[1]);
  return {make_type(ctx.inputs[0].dtype, {data[0], data[1], pos[1], data[3]})};
}

class CacheKernel final : public Kernel {
 public:
  CacheKernel(kernels::CacheDims dims, bool scatter, bool i64) : dims_(dims), scatter_(scatter), i64_(i64) {}
  void run(const RunArgs &args) const override {
    if (i64_)
      go(args, static_cast<const int64_t *>(args.inputs[1]));
    else
      go(args, static_cast<const int32_t *>(args.inputs[1]));
  }

 private:
  template <class I>
  void go(const RunArgs &args, const I *pos) const {
    if (scatter_)
      kernels::ctx_scatter(dims_, args.inputs[0], pos, args.inputs[2], args.outputs[0], parallel_of(args));
    else
      kernels::ctx_gather(dims_, args.inputs[0], pos, args.outputs[0], parallel_of(args));
  }
  kernels::CacheDims dims_;
  bool scatter_, i64_;
};

template <bool Scatter>
std::unique_ptr<Kernel> prepare_cache(const PrepareContext &ctx) {
  const std::vector<int64_t> data = dims_of(ctx.inputs[0]), pos = dims_of(ctx.inputs[1]);
  kernels::CacheDims d;
  d.batch = data[0];
  d.heads = data[1];
  d.ctx = data[2];
  d.n = pos[1];
  d.pos_batch = pos[0];
  d.row_bytes = data[3] * static_cast<int64_t>(dtype_bits(ctx.inputs[0].dtype) / 8);
  return std::make_unique<CacheKernel>(d, Scatter, ctx.inputs[1].dtype == QEFF_DTYPE_I64);
}

// ---- MeanPool / MaxPool / ClsPool / LastTokenPool ------------------------------

std::vector<graph::TensorType> infer_pool(const InferContext &ctx) {
  expect_arity(ctx, 2, 2);
  expect_dtype(ctx, 0, "X", {QEFF_DTYPE_F32});
  expect_dtype(ctx, 1, "mask", {QEFF_DTYPE_I64, QEFF_DTYPE_I32, QEFF_DTYPE_BOOL, QEFF_DTYPE_F32});
  const std::vector<int64_t> x = input_dims(ctx, 0, "X", 3), m = input_dims(ctx, 1, "mask", 2);
  if (m[0] != x[0] || m[1] != x[1])
    fail_node(ctx.node, QEFF_E_FORMAT, "mask " + shape_str(m) + " does not match X " + shape_str(x) +
                                           " (expected [" + std::to_string(x[0]) + ", " + std::to_string(x[1]) + "])");
  if (x[1] == 0) fail_node(ctx.node, QEFF_E_FORMAT, "X " + shape_str(x) + " has an empty sequence");
  return {make_type(QEFF_DTYPE_F32, {x[0], x[2]})};
}

class PoolKernel final : public Kernel {
 public:
  PoolKernel(kernels::PoolKind kind, qeff_dtype mask, std::vector<int64_t> x)
      : kind_(kind), mask_(mask), x_(std::move(x)) {}
  void run(const RunArgs &args) const override {
    switch (mask_) {
      case QEFF_DTYPE_I64: return go(args, static_cast<const int64_t *>(args.inputs[1]));
      case QEFF_DTYPE_I32: return go(args, static_cast<const int32_t *>(args.inputs[1]));
      case QEFF_DTYPE_BOOL: return go(args, static_cast<const uint8_t *>(args.inputs[1]));
      default: return go(args, static_cast<const float *>(args.inputs[1]));
    }
  }

 private:
  template <class M>
  void go(const RunArgs &args, const M *mask) const {
    kernels::pool(kind_, in_f32(args, 0), mask, out_f32(args), x_[0], x_[1], x_[2], parallel_of(args));
  }
  kernels::PoolKind kind_;
  qeff_dtype mask_;
  std::vector<int64_t> x_;
};

template <kernels::PoolKind Kind>
std::unique_ptr<Kernel> prepare_pool(const PrepareContext &ctx) {
  return std::make_unique<PoolKernel>(Kind, ctx.inputs[1].dtype, dims_of(ctx.inputs[0]));
}

}  // namespace

std::vector<OpDef> qeff_ops() {
  using kernels::PoolKind;
  return {
      // In place: a row is read whole (mean of squares) before it is written.
      {"qeff", "RMSNorm", infer_rms_norm, prepare_rms_norm, kInPlace},
      // In place: both halves of a row are read before either is written.
      {"qeff", "Rotary", infer_rotary, prepare_rotary, kInPlace},
      // In place: the retained KV cache is updated where it lies, O(updates).
      {"qeff", "CtxScatter", infer_ctx_scatter, prepare_cache<true>, kInPlace},
      {"qeff", "CtxGather", infer_ctx_gather, prepare_cache<false>, kNone},
      {"qeff", "MeanPool", infer_pool, prepare_pool<PoolKind::mean>, kNone},
      {"qeff", "MaxPool", infer_pool, prepare_pool<PoolKind::max>, kNone},
      {"qeff", "ClsPool", infer_pool, prepare_pool<PoolKind::cls>, kNone},
      {"qeff", "LastTokenPool", infer_pool, prepare_pool<PoolKind::last_token>, kNone},
  };
}

}  // namespace qeff::ops::nn
