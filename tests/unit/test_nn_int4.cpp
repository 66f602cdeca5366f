// Unit tests: qeff.Int4Dequantize (ops/nn_int4.cpp), the weight of a
// pre-quantized int4 checkpoint's Linear, and ops::pack_int4_weight, which
// packs it for the GEMM kernels (the checkpoint's values unchanged, or
// dequantized). The dequantization is written out here independently:
// w[n][k] = float(scale[n][k / block]) * (nibble - zero[n][k / block]).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/gemm.hpp"
#include "kernels/half.hpp"
#include "ops/int4.hpp"
#include "ops_test_support.hpp"
#include "unit_test.hpp"

namespace {

using namespace ops_test;
using qeff::kernels::bf16_to_f32;
using qeff::kernels::f16_to_f32;
using qeff::kernels::f32_to_bf16;
using qeff::kernels::f32_to_f16;

struct Int4Case {
  int64_t n, k, block;
  std::vector<uint8_t> q, zero;  // q: [n][ceil(k / 2)]
  std::vector<float> scale;      // [n][groups]
  int64_t groups() const { return (k + block - 1) / block; }
  int value(int64_t r, int64_t c) const { return (q[r * ((k + 1) / 2) + c / 2] >> (c % 2 * 4)) & 15; }
};

Int4Case make_case(int64_t n, int64_t k, int64_t block, qeff_dtype scale_dtype) {
  Int4Case c{n, k, block, {}, {}, {}};
  c.q.resize(n * ((k + 1) / 2));
  for (size_t i = 0; i < c.q.size(); ++i) c.q[i] = static_cast<uint8_t>((i * 37 + 11) % 256);
  if (k % 2) // the padding nibble of odd rows stays zero
    for (int64_t r = 0; r < n; ++r) c.q[r * ((k + 1) / 2) + k / 2] &= 15;
  for (int64_t i = 0; i < n * c.groups(); ++i) {
    c.zero.push_back(static_cast<uint8_t>((i * 5) % 17));
    float s = 0.001f * float(1 + (i * 7) % 23) + 1e-4f;
    if (scale_dtype == QEFF_DTYPE_F16) s = f16_to_f32(f32_to_f16(s));
    if (scale_dtype == QEFF_DTYPE_BF16) s = bf16_to_f32(f32_to_bf16(s));
    c.scale.push_back(s);
  }
  return c;
}

Tensor scale_tensor(const Int4Case &c, qeff_dtype dt) {
  const Dims shape{c.n, c.groups()};
  if (dt == QEFF_DTYPE_F32) return f32s(shape, c.scale);
  std::vector<uint16_t> h;
  for (float s : c.scale) h.push_back(dt == QEFF_DTYPE_F16 ? f32_to_f16(s) : f32_to_bf16(s));
  return tensor<uint16_t>(shape, h, dt);
}

std::vector<float> dequantized(const Int4Case &c) {
  std::vector<float> w(c.n * c.k);
  for (int64_t r = 0; r < c.n; ++r)
    for (int64_t kk = 0; kk < c.k; ++kk) {
      const int64_t g = r * c.groups() + kk / c.block;
      w[r * c.k + kk] = c.scale[g] * float(c.value(r, kk) - int(c.zero[g]));
    }
  return w;
}

Node int4_node(int64_t k, int64_t block) {
  Node n = make_node("Int4Dequantize", 3, 1, {attr("k", k), attr("block_size", block)});
  n.domain = "qeff";
  return n;
}

TEST(NnInt4, DequantizeIsTheDocumentedFormula) {
  for (qeff_dtype dt : {QEFF_DTYPE_F16, QEFF_DTYPE_BF16, QEFF_DTYPE_F32})
    for (auto [k, block] : {std::pair<int64_t, int64_t>{64, 32}, {75, 32}, {75, 16}, {75, 75}, {75, 1000}}) {
      SCOPED_TRACE(testing::Message() << "k " << k << " block " << block << " scale " << qeff_dtype_name(dt));
      const Int4Case c = make_case(9, k, block, dt);
      const auto out = run_both(int4_node(k, block), {tensor<uint8_t>({c.n, (k + 1) / 2}, c.q), scale_tensor(c, dt),
                                                      tensor<uint8_t>({c.n, c.groups()}, c.zero)});
      ASSERT_EQ(out.size(), 1u);
      EXPECT_EQ(out[0].dtype, QEFF_DTYPE_F32);
      EXPECT_EQ(out[0].shape, (Dims{c.n, k}));
      EXPECT_EQ(out[0].values<float>(), dequantized(c));  // bit for bit: one rounding
    }
  EXPECT_EQ(qeff::ops::find_op("qeff", "Int4Dequantize")->flags, qeff::ops::kFuseFirst);
}

TEST(NnInt4, MismatchedShapesAreRefused) {
  const Int4Case c = make_case(4, 64, 32, QEFF_DTYPE_F16);
  const Tensor q = tensor<uint8_t>({4, 32}, c.q), s = scale_tensor(c, QEFF_DTYPE_F16),
               z = tensor<uint8_t>({4, 2}, c.zero);
  EXPECT_QEFF_ERROR(infer_op(int4_node(66, 32), {q, s, z}), QEFF_E_FORMAT, "input Q [4, 32] must be [N, 33]");
  EXPECT_QEFF_ERROR(infer_op(int4_node(64, 16), {q, s, z}), QEFF_E_FORMAT, "must be [4, 4]");
  EXPECT_QEFF_ERROR(infer_op(int4_node(64, 0), {q, s, z}), QEFF_E_FORMAT, "must be positive");
  // Attributes from an imported file may be anything: no overflow (UBSan).
  EXPECT_QEFF_ERROR(infer_op(int4_node(INT64_MAX, INT64_MAX), {q, s, z}), QEFF_E_FORMAT, "must be [N, 4611686018427387904]");
  EXPECT_QEFF_ERROR(infer_op(int4_node(64, INT64_MAX), {q, s, z}), QEFF_E_FORMAT, "must be [4, 1]");
  EXPECT_QEFF_ERROR(infer_op(int4_node(64, 32), {q, f32s({4, 2}, c.scale), tensor<uint8_t>({4, 1}, {1, 2, 3, 4})}),
                    QEFF_E_FORMAT, "zero_point [4, 1]");
  EXPECT_QEFF_ERROR(infer_op(int4_node(64, 32), {q, tensor<int32_t>({4, 2}, {0, 0, 0, 0, 0, 0, 0, 0}), z}),
                    QEFF_E_UNSUPPORTED, "input scale has element type I32");
}

// keep: the values go unchanged into q4.strip128x32h (groups of 32) or
// q4.strip128x128h (groups of 128), the same bytes as gemm_q4_pack_values;
// groups of 16 cannot, so they are dequantized and stored f32; without keep
// the exact dequantized weight is stored as asked (int4 in the asked groups).
TEST(NnInt4, PackKeepsTheValuesOrStoresTheDequantizedWeight) {
  using qeff::kernels::GemmStorage;
  const Node node = int4_node(96, 32);
  const Int4Case c = make_case(20, 96, 32, QEFF_DTYPE_BF16);  // bf16 scales: exact in f16 at this range
  const Tensor q = tensor<uint8_t>({20, 48}, c.q), s = scale_tensor(c, QEFF_DTYPE_BF16),
               z = tensor<uint8_t>({20, 3}, c.zero);
  const qeff::ops::PackedWeight kept =
      qeff::ops::pack_int4_weight(node, q.view(), s.view(), z.view(), true, QEFF_DTYPE_F32, 32);
  EXPECT_EQ(kept.format, "q4.strip128x32h");
  EXPECT_EQ(kept.k, 96);
  EXPECT_EQ(kept.n, 20);
  std::vector<uint16_t> s16;
  for (float v : c.scale) s16.push_back(f32_to_f16(v));
  std::vector<uint8_t> want(qeff::kernels::gemm_packed_bytes(96, 20, GemmStorage::q4));
  qeff::kernels::gemm_q4_pack_values({c.q.data(), s16.data(), c.zero.data(), 32}, 96, 20, GemmStorage::q4,
                                     want.data());
  EXPECT_EQ(kept.bytes.to_vector(), want);

  {
    const Int4Case c128 = make_case(20, 256, 128, QEFF_DTYPE_BF16);
    const Tensor q128 = tensor<uint8_t>({20, 128}, c128.q), s128 = scale_tensor(c128, QEFF_DTYPE_BF16),
                 z128 = tensor<uint8_t>({20, 2}, c128.zero);
    const qeff::ops::PackedWeight k128 = qeff::ops::pack_int4_weight(int4_node(256, 128), q128.view(), s128.view(),
                                                                     z128.view(), true, QEFF_DTYPE_F32, 32);
    EXPECT_EQ(k128.format, "q4.strip128x128h");
    std::vector<uint16_t> s16b;
    for (float v : c128.scale) s16b.push_back(f32_to_f16(v));
    std::vector<uint8_t> want128(qeff::kernels::gemm_packed_bytes(256, 20, GemmStorage::q4g128));
    qeff::kernels::gemm_q4_pack_values({c128.q.data(), s16b.data(), c128.zero.data(), 128}, 256, 20,
                                       GemmStorage::q4g128, want128.data());
    EXPECT_EQ(k128.bytes.to_vector(), want128);
  }

  const std::vector<float> w = dequantized(c);
  for (auto [keep, storage, block] : {std::tuple{false, QEFF_DTYPE_BF16, int64_t{32}}, {true, QEFF_DTYPE_I8, int64_t{16}},
                                      {false, QEFF_DTYPE_U4, int64_t{32}}}) {
    SCOPED_TRACE(testing::Message() << "keep " << keep << " block " << block);
    const Int4Case cb = make_case(20, 96, block, QEFF_DTYPE_BF16);
    const Tensor sb = scale_tensor(cb, QEFF_DTYPE_BF16), zb = tensor<uint8_t>({20, cb.groups()}, cb.zero);
    const qeff::ops::PackedWeight p =
        qeff::ops::pack_int4_weight(int4_node(96, block), q.view(), sb.view(), zb.view(), keep, storage, 128);
    const qeff_dtype stored = keep ? QEFF_DTYPE_F32 : storage;  // groups of 16 fall back to exact f32
    const std::vector<float> wb = dequantized(cb);
    const qeff::ops::PackedWeight ref =
        qeff::ops::pack_matmul_weight(qeff::ops::TensorView{QEFF_DTYPE_F32, {20, 96}, wb.data()}, true, stored, 128);
    EXPECT_EQ(p.format, ref.format);
    if (storage == QEFF_DTYPE_U4) {
      EXPECT_EQ(p.format, "q4.strip128x128h");
    }
    EXPECT_EQ(p.bytes.to_vector(), ref.bytes.to_vector());
  }
}

}  // namespace
