// qeff.Attention: Y = softmax(where(mask, masked_value, Q K^T scale)) V with
// GQA (src/onnx/functions.cpp), run by the fused kernel of
// kernels/attention.hpp (online softmax, valid-prefix reads). K and V may be
// f16 or bf16 (a 16-bit KV cache), widened as they are read.
//
// qeff.cpu.Attention is the same op over an MXINT8 cache read in place: K and
// V are U8 MXINT8 rows (kernels/mxint8.hpp) of Q's head dim and of the
// attribute v_dim. Only the compiler's fusion pass writes it, from
// Attention(Q, MxInt8Dequantize(K), MxInt8Dequantize(V), mask).
//
// qeff.cpu.AttentionBSHD is qeff.Attention in the sequence-major layout: Q
// [b, s, hq, d], K [b, t, hkv, d], V [b, t, hkv, dv] and Y [b, s, hq, dv]
// (a Linear's output viewed as heads), so that the head transposes around
// the attention are not copies. The fusion pass writes it from
// Transpose(Attention(Transpose(q), Transpose(k), Transpose(v), mask)), every
// Transpose swapping axes 1 and 2; num_kv_groups must be 1.
#include <cmath>
#include <utility>

#include "common/dtype.hpp"
#include "kernels/attention.hpp"
#include "kernels/mxint8.hpp"
#include "ops/linear.hpp"
#include "ops/nn_common.hpp"

namespace qeff::ops::nn {
namespace {

// Q [b, hq, s, d], K [b, hkv, t, d], V [b, hkv, t, dv], mask (bool) of rank
// 2 to 4 broadcasting to [b, hq, s, t] with its last dim t.
kernels::AttentionDims attention_dims(const graph::Node &node, const std::vector<int64_t> &q,
                                      const std::vector<int64_t> &k, const std::vector<int64_t> &v,
                                      const std::vector<int64_t> &mask) {
  const int64_t groups = required_int(node, "num_kv_groups");
  kernels::AttentionDims d;
  d.scale = required_float(node, "scale");
  d.masked_value = required_float(node, "masked_value");
  if (groups < 1) fail_node(node, QEFF_E_FORMAT, "num_kv_groups must be >= 1, got " + std::to_string(groups));
  if (k[0] != q[0] || v[0] != q[0]) {
    const bool broadcast = (k[0] == 1 || k[0] == q[0]) && (v[0] == 1 || v[0] == q[0]);
    fail_node(node, broadcast ? QEFF_E_UNSUPPORTED : QEFF_E_FORMAT,
              "batch of Q " + shape_str(q) + ", K " + shape_str(k) + " and V " + shape_str(v) +
                  (broadcast ? " differ (batch broadcast is not supported)" : " differ"));
  }
  if (k[1] * groups != q[1])
    fail_node(node, QEFF_E_FORMAT,
              "Q " + shape_str(q) + " has " + std::to_string(q[1]) + " heads, K " + shape_str(k) + " has " +
                  std::to_string(k[1]) + " kv heads x num_kv_groups " + std::to_string(groups));
  if (k[3] != q[3])
    fail_node(node, QEFF_E_FORMAT, "head dims of Q " + shape_str(q) + " and K " + shape_str(k) + " differ");
  if (v[1] != k[1] || v[2] != k[2])
    fail_node(node, QEFF_E_FORMAT, "V " + shape_str(v) + " does not match K " + shape_str(k));
  if (mask.size() < 2 || mask.size() > 4)
    fail_node(node, QEFF_E_FORMAT, "mask must have rank 2 to 4, got " + shape_str(mask));
  std::vector<int64_t> m(4 - mask.size(), 1);
  m.insert(m.end(), mask.begin(), mask.end());
  const std::vector<int64_t> full = {q[0], q[1], q[2], k[2]};
  for (size_t i = 0; i < 4; ++i)
    if (m[i] != 1 && m[i] != full[i])
      fail_node(node, QEFF_E_FORMAT,
                "mask " + shape_str(mask) + " does not broadcast to the scores " + shape_str(full));
  if (m[3] != k[2])
    fail_node(node, QEFF_E_UNSUPPORTED,
              "mask " + shape_str(mask) + " must cover every key (last dim " + std::to_string(k[2]) + ")");
  d.batch = q[0];
  d.q_heads = q[1];
  d.kv_heads = k[1];
  d.q_len = q[2];
  d.kv_len = k[2];
  d.head_dim = q[3];
  d.v_dim = v[3];
  d.mask_batch = m[0];
  d.mask_heads = m[1];
  d.mask_rows = m[2];
  return d;
}

// K and V: f32, or both of one 16-bit type (a compressed KV cache read in place).
kernels::KvDtype kv_dtype(qeff_dtype t) {
  return t == QEFF_DTYPE_BF16 ? kernels::KvDtype::bf16 : t == QEFF_DTYPE_F16 ? kernels::KvDtype::f16 : kernels::KvDtype::f32;
}

// The checks every f32-Q attention makes on its element types.
void expect_attention_dtypes(const InferContext &ctx) {
  expect_arity(ctx, 4, 4);
  expect_dtype(ctx, 0, "Q", {QEFF_DTYPE_F32});
  expect_dtype(ctx, 1, "K", {QEFF_DTYPE_F32, QEFF_DTYPE_F16, QEFF_DTYPE_BF16});
  expect_dtype(ctx, 2, "V", {QEFF_DTYPE_F32, QEFF_DTYPE_F16, QEFF_DTYPE_BF16});
  if (ctx.inputs[1].dtype != ctx.inputs[2].dtype)
    fail_node(ctx.node, QEFF_E_FORMAT,
              std::string("K is ") + dtype_name(ctx.inputs[1].dtype) + ", V " + dtype_name(ctx.inputs[2].dtype) +
                  " (they must have one element type)");
  expect_dtype(ctx, 3, "mask", {QEFF_DTYPE_BOOL}, /*unsupported=*/false);  // Where needs a bool condition
}

std::vector<graph::TensorType> infer_attention(const InferContext &ctx) {
  expect_attention_dtypes(ctx);
  const std::vector<int64_t> q = input_dims(ctx, 0, "Q", 4), k = input_dims(ctx, 1, "K", 4),
                             v = input_dims(ctx, 2, "V", 4);
  const kernels::AttentionDims d = attention_dims(ctx.node, q, k, v, input_dims(ctx, 3, "mask"));
  return {make_type(QEFF_DTYPE_F32, {d.batch, d.q_heads, d.q_len, d.v_dim})};
}

class AttentionKernel final : public Kernel {
 public:
  explicit AttentionKernel(kernels::AttentionDims d) : d_(d) {}
  void run(const RunArgs &args) const override {
    kernels::attention(d_, static_cast<const float *>(args.inputs[0]), args.inputs[1], args.inputs[2],
                       static_cast<const uint8_t *>(args.inputs[3]),
                       static_cast<float *>(args.outputs[0]), args.workspace, parallel_of(args));
  }
  uint64_t workspace_bytes() const override { return kernels::attention_workspace_bytes(d_); }

 private:
  kernels::AttentionDims d_;
};

std::unique_ptr<Kernel> prepare_attention(const PrepareContext &ctx) {
  kernels::AttentionDims d = attention_dims(ctx.node, dims_of(ctx.inputs[0]), dims_of(ctx.inputs[1]),
                                            dims_of(ctx.inputs[2]), dims_of(ctx.inputs[3]));
  d.kv = kv_dtype(ctx.inputs[1].dtype);
  return std::make_unique<AttentionKernel>(d);
}

// ---- qeff.cpu.Attention: K and V as MXINT8 rows ------------------------------

// K [b, hkv, t, row(head_dim)] and V [b, hkv, t, row(v_dim)] as the f32
// shapes they stand for.
std::pair<std::vector<int64_t>, std::vector<int64_t>> mxint8_kv_dims(const graph::Node &node,
                                                                      const std::vector<int64_t> &q,
                                                                      std::vector<int64_t> k, std::vector<int64_t> v) {
  const int64_t vd = required_int(node, "v_dim");
  if (q.size() != 4 || k.size() != 4 || v.size() != 4)
    fail_node(node, QEFF_E_FORMAT, "Q, K and V must have rank 4");
  if (k[3] != kernels::mxint8_row_bytes(q[3]) || vd < 1 || v[3] != kernels::mxint8_row_bytes(vd))
    fail_node(node, QEFF_E_FORMAT,
              "K " + shape_str(k) + " and V " + shape_str(v) + " are not MXINT8 rows of Q's head dim " +
                  std::to_string(q[3]) + " and v_dim " + std::to_string(vd));
  k[3] = q[3];
  v[3] = vd;
  return {k, v};
}

std::vector<graph::TensorType> infer_mxint8_attention(const InferContext &ctx) {
  expect_arity(ctx, 4, 4);
  expect_dtype(ctx, 0, "Q", {QEFF_DTYPE_F32});
  expect_dtype(ctx, 1, "K", {QEFF_DTYPE_U8}, /*unsupported=*/false);
  expect_dtype(ctx, 2, "V", {QEFF_DTYPE_U8}, /*unsupported=*/false);
  expect_dtype(ctx, 3, "mask", {QEFF_DTYPE_BOOL}, /*unsupported=*/false);
  const std::vector<int64_t> q = input_dims(ctx, 0, "Q", 4);
  auto [k, v] = mxint8_kv_dims(ctx.node, q, input_dims(ctx, 1, "K", 4), input_dims(ctx, 2, "V", 4));
  const kernels::AttentionDims d = attention_dims(ctx.node, q, k, v, input_dims(ctx, 3, "mask"));
  return {make_type(QEFF_DTYPE_F32, {d.batch, d.q_heads, d.q_len, d.v_dim})};
}

std::unique_ptr<Kernel> prepare_mxint8_attention(const PrepareContext &ctx) {
  const std::vector<int64_t> q = dims_of(ctx.inputs[0]);
  auto [k, v] = mxint8_kv_dims(ctx.node, q, dims_of(ctx.inputs[1]), dims_of(ctx.inputs[2]));
  kernels::AttentionDims d = attention_dims(ctx.node, q, k, v, dims_of(ctx.inputs[3]));
  d.kv = kernels::KvDtype::mxint8;
  return std::make_unique<AttentionKernel>(d);
}

// ---- qeff.cpu.AttentionBSHD: Q, K, V and Y sequence-major ---------------------

std::vector<int64_t> heads_first(std::vector<int64_t> x) {
  std::swap(x[1], x[2]);
  return x;
}

kernels::AttentionDims seq_major_dims(const graph::Node &node, const std::vector<int64_t> &q,
                                      const std::vector<int64_t> &k, const std::vector<int64_t> &v,
                                      const std::vector<int64_t> &mask) {
  kernels::AttentionDims d = attention_dims(node, heads_first(q), heads_first(k), heads_first(v), mask);
  if (d.q_heads != d.kv_heads)
    fail_node(node, QEFF_E_UNSUPPORTED,
              "the sequence-major attention needs num_kv_groups 1, got " + std::to_string(d.q_heads / d.kv_heads));
  d.seq_major = true;
  return d;
}

std::vector<graph::TensorType> infer_seq_major_attention(const InferContext &ctx) {
  expect_attention_dtypes(ctx);
  const kernels::AttentionDims d =
      seq_major_dims(ctx.node, input_dims(ctx, 0, "Q", 4), input_dims(ctx, 1, "K", 4), input_dims(ctx, 2, "V", 4),
                     input_dims(ctx, 3, "mask"));
  return {make_type(QEFF_DTYPE_F32, {d.batch, d.q_len, d.q_heads, d.v_dim})};
}

std::unique_ptr<Kernel> prepare_seq_major_attention(const PrepareContext &ctx) {
  kernels::AttentionDims d = seq_major_dims(ctx.node, dims_of(ctx.inputs[0]), dims_of(ctx.inputs[1]),
                                            dims_of(ctx.inputs[2]), dims_of(ctx.inputs[3]));
  d.kv = kv_dtype(ctx.inputs[1].dtype);
  return std::make_unique<AttentionKernel>(d);
}

}  // namespace

OpDef attention_op() { return {"qeff", "Attention", infer_attention, prepare_attention, kNone}; }
OpDef mxint8_attention_op() {
  return {kCpuDomain, "Attention", infer_mxint8_attention, prepare_mxint8_attention, kNone};
}
OpDef seq_major_attention_op() {
  return {kCpuDomain, "AttentionBSHD", infer_seq_major_attention, prepare_seq_major_attention, kNone};
}

}  // namespace qeff::ops::nn
