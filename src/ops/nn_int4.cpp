// qeff.Int4Dequantize: the weight of a Linear read from a pre-quantized int4
// checkpoint (AWQ / GPTQ / compressed-tensors, hub/quantization.hpp), as the
// f32 matrix it stands for. Its semantics are the ONNX local-function body of
// src/onnx/functions.cpp; the compiler's int4_weights rule
// (compiler/fuse.cpp) packs the values unchanged for the 4-bit GEMM instead of
// running it.
//
//   inputs: Q U8 [N, ceil(K / 2)] (element k of a row in byte k / 2, even k in
//           the low nibble); scale F16, BF16 or F32 [N, G]; zero_point U8
//           [N, G]; G = ceil(K / block_size)
//   attrs:  k = K, block_size (k per scale)
//   output: Y F32 [N, K], Y[n][k] = float(scale[n][g]) * (q - zero_point[n][g])
//           for g = k / block_size (one rounding: q - zero is exact)
#include <cmath>
#include <cstring>

#include "common/dtype.hpp"
#include "common/log.hpp"
#include "kernels/gemm.hpp"
#include "kernels/half.hpp"
#include "ops/int4.hpp"
#include "ops/nn_common.hpp"

namespace qeff::ops {
namespace nn {
namespace {

struct Int4Dims {
  int64_t n = 0, k = 0, block = 0, groups = 0;
};

Int4Dims check_dims(const graph::Node &node, const std::vector<int64_t> &q, const std::vector<int64_t> &s,
                    const std::vector<int64_t> &z) {
  Int4Dims d;
  d.k = required_int(node, "k");
  d.block = required_int(node, "block_size");
  if (d.k < 1 || d.block < 1)
    fail_node(node, QEFF_E_FORMAT, "attributes k = " + std::to_string(d.k) + " and block_size = " +
                                       std::to_string(d.block) + " must be positive");
  const int64_t row_bytes = d.k / 2 + d.k % 2;  // (no k + 1: k may be INT64_MAX)
  if (q.size() != 2 || q[1] != row_bytes)
    fail_node(node, QEFF_E_FORMAT, "input Q " + shape_str(q) + " must be [N, " + std::to_string(row_bytes) +
                                       "] (two 4-bit values per byte for k = " + std::to_string(d.k) + ")");
  d.n = q[0];
  d.groups = d.k / d.block + (d.k % d.block != 0 ? 1 : 0);
  const std::vector<int64_t> want{d.n, d.groups};
  if (s != want || z != want)
    fail_node(node, QEFF_E_FORMAT, "inputs scale " + shape_str(s) + " and zero_point " + shape_str(z) + " must be " +
                                       shape_str(want) + " (one per block of " + std::to_string(d.block) + ")");
  return d;
}

std::vector<graph::TensorType> infer(const InferContext &ctx) {
  expect_arity(ctx, 3, 3);
  expect_dtype(ctx, 0, "Q", {QEFF_DTYPE_U8});
  expect_dtype(ctx, 1, "scale", {QEFF_DTYPE_F16, QEFF_DTYPE_BF16, QEFF_DTYPE_F32});
  expect_dtype(ctx, 2, "zero_point", {QEFF_DTYPE_U8});
  const Int4Dims d = check_dims(ctx.node, input_dims(ctx, 0, "Q"), input_dims(ctx, 1, "scale"),
                                input_dims(ctx, 2, "zero_point"));
  return {make_type(QEFF_DTYPE_F32, {d.n, d.k})};
}

float scale_at(const void *s, qeff_dtype dtype, int64_t i) {
  if (dtype == QEFF_DTYPE_F32) return static_cast<const float *>(s)[i];
  const uint16_t h = static_cast<const uint16_t *>(s)[i];
  return dtype == QEFF_DTYPE_F16 ? kernels::f16_to_f32(h) : kernels::bf16_to_f32(h);
}

// Rows [b, e) of the output.
void dequantize_rows(const Int4Dims &d, const uint8_t *q, const void *s, qeff_dtype s_dtype, const uint8_t *z,
                     int64_t b, int64_t e, float *y) {
  for (int64_t n = b; n < e; ++n)
    for (int64_t k = 0; k < d.k; ++k) {
      const int64_t g = n * d.groups + k / d.block;
      const int v = (q[n * ((d.k + 1) / 2) + k / 2] >> (k % 2 * 4)) & 15;
      y[n * d.k + k] = scale_at(s, s_dtype, g) * static_cast<float>(v - int{z[g]});
    }
}

class Int4Kernel final : public Kernel {
 public:
  Int4Kernel(Int4Dims d, qeff_dtype scale) : d_(d), scale_(scale) {}
  void run(const RunArgs &args) const override {
    parallel_of(args).parallel_for(d_.n, [&](int64_t b, int64_t e) {
      dequantize_rows(d_, static_cast<const uint8_t *>(args.inputs[0]), args.inputs[1], scale_,
                      static_cast<const uint8_t *>(args.inputs[2]), b, e, static_cast<float *>(args.outputs[0]));
    });
  }

 private:
  Int4Dims d_;
  qeff_dtype scale_;
};

std::unique_ptr<Kernel> prepare(const PrepareContext &ctx) {
  const Int4Dims d = check_dims(ctx.node, dims_of(ctx.inputs[0]), dims_of(ctx.inputs[1]), dims_of(ctx.inputs[2]));
  return std::make_unique<Int4Kernel>(d, ctx.inputs[1].dtype);
}

}  // namespace

}  // namespace nn

PackedWeight pack_int4_weight(const graph::Node &node, const TensorView &q, const TensorView &scale,
                              const TensorView &zero, bool keep, qeff_dtype storage, int64_t int4_group) {
  const nn::Int4Dims d = nn::check_dims(node, q.shape, scale.shape, zero.shape);
  const kernels::GemmStorage layout = kernels::gemm_q4_values_fit(d.k, d.block, kernels::GemmStorage::q4g128)
                                          ? kernels::GemmStorage::q4g128
                                          : kernels::GemmStorage::q4;
  if (keep && kernels::gemm_q4_values_fit(d.k, d.block, layout)) {
    std::vector<uint16_t> s16(static_cast<size_t>(d.n * d.groups));
    int64_t inexact = 0;
    for (size_t i = 0; i < s16.size(); ++i) {
      const float v = nn::scale_at(scale.data, scale.dtype, static_cast<int64_t>(i));
      s16[i] = kernels::f32_to_f16(v);
      if (kernels::f16_to_f32(s16[i]) != v && !std::isnan(v)) ++inexact;
    }
    if (inexact > 0)
      log_info(node_label(node) + ": " + std::to_string(inexact) + " of " + std::to_string(s16.size()) + " " +
               dtype_name(scale.dtype) + " scales rounded to f16 for the 4-bit kernels");
    PackedWeight p;
    p.k = d.k;
    p.n = d.n;
    p.format = kernels::gemm_format_name(layout);
    p.bytes = PackedBytes(kernels::gemm_packed_bytes(d.k, d.n, layout));
    kernels::gemm_q4_pack_values(kernels::Q4Values{q.as<uint8_t>(), s16.data(), zero.as<uint8_t>(), d.block}, d.k,
                                 d.n, layout, p.bytes.data());
    return p;
  }
  if (keep) {
    log_info(node_label(node) + ": groups of " + std::to_string(d.block) + " k do not fit the 4-bit kernels' blocks "
             "of 32; the weight is dequantized and stored as f32");
    storage = QEFF_DTYPE_F32;
  }
  std::vector<float> w(static_cast<size_t>(d.n * d.k));
  nn::dequantize_rows(d, q.as<uint8_t>(), scale.data, scale.dtype, zero.as<uint8_t>(), 0, d.n, w.data());
  return pack_matmul_weight(TensorView{QEFF_DTYPE_F32, {d.n, d.k}, w.data()}, true, storage, int4_group);
}

namespace nn {

std::vector<OpDef> int4_ops() { return {{"qeff", "Int4Dequantize", infer, prepare, kFuseFirst}}; }

}  // namespace nn
}  // namespace qeff::ops
