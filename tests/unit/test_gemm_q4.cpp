// Unit tests: 4-bit weights (q4.strip128x32h and q4.strip128x128h,
// src/kernels/gemm_q4*.cpp). Every ISA path is compared bit for bit with the
// documented quantization written out here in plain C++ (gemm.hpp: asymmetric
// weight groups of 32 or 128 with f16 scales and u8 zero points, int8
// activation blocks of 32, exact integer sums, one fma per block), and with
// the double-precision product within the quantization error those quantized
// values imply.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "gemm_test_support.hpp"

namespace {

using namespace gemm_test;

constexpr int64_t kBlock = kRefBlock;
constexpr GemmStorage kStorages[] = {GemmStorage::q4, GemmStorage::q4g128};

int64_t group_of(GemmStorage st) { return st == GemmStorage::q4g128 ? 128 : 32; }

WeightBlocks quantize_weights_ref(const std::vector<float> &b, int64_t k, int64_t n, GemmStorage st) {
  return quantize_each_block(
      b, k, n, [&](const BlockStats &st, int64_t j, int64_t k0, int64_t k1, float &s, int &zero, int *q) {
    if (st.non_finite) {
      s = std::nanf("");
      return;
    }
    if (!(st.hi - st.lo >= kGemmI8MinScale)) return;
    s = f16_to_f32(f32_to_f16(std::min((st.hi - st.lo) / 15.0f, kF16Max)));
    if (!(s > 0.0f)) {
      s = 0.0f;
      return;
    }
    const float z = std::clamp(std::nearbyint(-st.lo / s), 0.0f, 15.0f);
    zero = static_cast<int>(z);
    for (int64_t kk = k0; kk < k1; ++kk)
      q[kk] = static_cast<int>(std::clamp(std::nearbyint(b[kk * n + j] / s) + z, 0.0f, 15.0f));
  }, group_of(st));
}

QuantExpected reference_q4(GemmStorage st, const Problem &p, const std::vector<float> &a, const std::vector<float> &b,
                           const std::vector<float> &bias, const std::vector<float> &res) {
  return reference_blocks(p, a, b, bias, res, quantize_weights_ref(b, p.k, p.n, st));
}

TEST(GemmQ4, EveryIsaComputesTheDocumentedQuantizationExactly) {
  for (GemmStorage st : kStorages)
    expect_every_isa_exact(st, 1700, [&](const Problem &p, const std::vector<float> &a, const std::vector<float> &b,
                                         const std::vector<float> &bias, const std::vector<float> &res) {
      return reference_q4(st, p, a, b, bias, res);
    });
}

// A group of 128 shares one scale over 4 blocks of 32: its values differ
// from those of the 32-k groups when the blocks' ranges differ.
TEST(GemmQ4, GroupsOf128ShareOneScaleAcrossTheirBlocks) {
  const int64_t k = 256, n = 16;
  std::vector<float> b(k * n);
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t j = 0; j < n; ++j) b[kk * n + j] = float((kk * 5 + j) % 16 - 6) * (kk / 32 % 2 ? 1.0f : 0.125f);
  const WeightBlocks w32 = quantize_weights_ref(b, k, n, GemmStorage::q4);
  const WeightBlocks w128 = quantize_weights_ref(b, k, n, GemmStorage::q4g128);
  for (int64_t j = 0; j < n; ++j)
    for (int64_t blk = 0; blk < 8; ++blk) {
      EXPECT_EQ(w128.scale[j * 8 + blk], w128.scale[j * 8 + blk / 4 * 4]);
      EXPECT_EQ(w128.scale[j * 8 + blk], std::max(w32.scale[j * 8 + blk / 4 * 4], w32.scale[j * 8 + blk / 4 * 4 + 1]));
    }
  EXPECT_NE(w32.q, w128.q);
}

// Weights that are not centred on zero (all positive, or offset) use the
// zero point; the product stays within the bound.
TEST(GemmQ4, OffsetWeightsUseTheZeroPoint) {
  SerialParallel serial;
  Problem p{3, 96, 40, true};
  Operands o(p, 77);
  for (size_t i = 0; i < o.b.size(); ++i) o.b[i] = 0.75f + 0.25f * o.b[i] + (i % 7 == 0 ? -1.5f : 0.0f);
  for (GemmStorage st : kStorages) {
    SCOPED_TRACE(gemm_format_name(st));
    const QuantExpected e = reference_q4(st, p, o.a, o.b, o.bias, o.res);
    for (Isa isa : kAllIsas) {
      if (!isa_supported(isa)) continue;
      IsaGuard g(isa);
      const auto got = run_packed(p, o.a, o.b, o.bias, o.res, st, serial);
      expect_bitwise(got, e.exact, isa_name(isa));
      expect_close(got, e.vs_f32, "q4 vs f32");
    }
    // The integer zero point shifts the grid by up to half a step, so a value
    // at the edge of its group's range may be clamped a full step away; on
    // average the error is a quarter step (uniform rounding error).
    const WeightBlocks w = quantize_weights_ref(o.b, p.k, p.n, st);
    double sum_steps = 0;
    for (int64_t j = 0; j < p.n; ++j)
      for (int64_t kk = 0; kk < p.k; ++kk) {
        const int64_t blk = j * 3 + kk / kBlock;
        const double deq = double(w.scale[blk]) * (w.q[j * p.k + kk] - w.zero[blk]);
        const double steps = std::fabs(deq - o.b[kk * p.n + j]) / w.scale[blk];
        EXPECT_LE(steps, 1.0) << j << " " << kk;
        sum_steps += steps;
      }
    EXPECT_LT(sum_steps / double(p.n * p.k), 0.3);
  }
}

// A single row's product is timed with and without the strips' far prefetch
// (StreamTuner, gemm_quant.cpp): repeated, it runs both ways, on every ISA,
// and always gives the documented values.
TEST(GemmQ4, DecodeGemvsGiveTheSameValuesWithEitherPrefetch) {
  SerialParallel serial;
  const Problem p{1, 512, 290, true, true};  // 2 strips, 2 panels past them
  Operands o(p, 91);
  for (GemmStorage st : kStorages) {
    const QuantExpected e = reference_q4(st, p, o.a, o.b, o.bias, o.res);
    for (Isa isa : kAllIsas) {
      if (!isa_supported(isa)) continue;
      IsaGuard g(isa);
      // The first two calls of a shape take one option each, later ones
      // explore the other every eighth call: 10 calls run both.
      for (int call = 0; call < 10; ++call)
        expect_bitwise(run_packed(p, o.a, o.b, o.bias, o.res, st, serial), e.exact, isa_name(isa));
    }
  }
}

TEST(GemmQ4, PartitionsAndTransposedPackingGiveIdenticalResults) {
  for (GemmStorage st : kStorages) expect_partitions_identical(st, 1900, true);
}

// A NaN or an infinity in a row of A makes that row NaN; a zero (or tiny)
// row is exactly zero; a zero block in an otherwise normal row changes
// nothing else; the other rows do not change. A weight block with a NaN makes
// its column NaN.
TEST(GemmQ4, NonFiniteAndZeroRowsStayInTheirRow) {
  SerialParallel serial;
  for (GemmStorage st : kStorages)
    for (Isa isa : kAllIsas) {
      if (!isa_supported(isa)) continue;
      IsaGuard g(isa);
      Problem p{7, 70, 40};
      Operands o(p, 31);
      const auto clean = run_packed(p, o.a, o.b, o.bias, o.res, st, serial);
      o.a[1 * p.k + 65] = std::nanf("");  // row 1: NaN in the partial last block
      o.a[2 * p.k + 3] = -INFINITY;       // row 2: infinity in the first block
      for (int64_t i = 0; i < p.k; ++i) o.a[3 * p.k + i] = 0.0f, o.a[4 * p.k + i] = 1e-31f;
      for (int64_t i = 32; i < 64; ++i) o.a[6 * p.k + i] = 0.0f;  // row 6: one zero block
      const auto c = run_packed(p, o.a, o.b, o.bias, o.res, st, serial);
      const QuantExpected e = reference_q4(st, p, o.a, o.b, o.bias, o.res);
      for (int64_t j = 0; j < p.n; ++j) {
        SCOPED_TRACE(testing::Message() << gemm_format_name(st) << " " << isa_name(isa) << " column " << j);
        expect_special_rows(c, clean, p.n, j);
        EXPECT_EQ(c[6 * p.n + j], e.exact[6 * p.n + j]);
      }
      o.b[40 * p.n + 9] = std::nanf("");  // weight column 9, block 1
      const auto d = run_packed(p, o.a, o.b, o.bias, o.res, st, serial);
      for (int64_t i : {0, 5}) {
        EXPECT_TRUE(std::isnan(d[i * p.n + 9]));
        EXPECT_EQ(d[i * p.n + 8], c[i * p.n + 8]);
      }
    }
}

// The packed bytes, written out here from gemm.hpp's description: 10
// panels, the first 8 a strip (lanes interleaved quad by quad), panels 8 and
// 9 (2 columns) one by one; 150 k = 2 superblocks, the last partial. Every
// byte is compared, padding included.
TEST(GemmQ4, PackedLayoutIsStripsOfFieldsAndNibbles) {
  const int64_t k = 150, n = 146;  // 10 panels
  std::vector<float> b(k * n);
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t j = 0; j < n; ++j) b[kk * n + j] = float((kk * 7 + j * 3) % 16) * 0.5f - 2.0f;  // 16 levels
  b[0 * n + 17] = std::nanf("");  // column 17, block 0: not finite
  for (GemmStorage st : kStorages) {
    SCOPED_TRACE(gemm_format_name(st));
    const int64_t group = group_of(st), nb = 5;
    // A group of W panels: fields (48 bytes per panel, padded to 64), then
    // group / 4 quads of W x 32 bytes; 128 / group groups per superblock.
    auto field_bytes = [](int64_t w) { return (w * 48 + 63) / 64 * 64; };
    auto group_bytes = [&](int64_t w) { return field_bytes(w) + group / 4 * w * 32; };
    auto super_bytes = [&](int64_t w) { return 128 / group * group_bytes(w); };
    const uint64_t bytes = gemm_packed_bytes(k, n, st);
    ASSERT_EQ(bytes, uint64_t(2 * super_bytes(8) + 2 * 2 * super_bytes(1)));
    std::vector<uint8_t> packed(bytes, 0xcd), want(bytes, 0);
    gemm_pack(b.data(), n, false, k, n, st, packed.data());
    const WeightBlocks w = quantize_weights_ref(b, k, n, st);
    for (int64_t j = 0; j < n; ++j) {
      const int64_t panel = j / 16, jj = j % 16;
      const int64_t width = panel < 8 ? 8 : 1, lane = panel < 8 ? panel : 0;
      const int64_t base = panel < 8 ? 0 : 2 * super_bytes(8) + (panel - 8) * 2 * super_bytes(1);
      for (int64_t g = 0; g * group < k; ++g) {
        const int64_t blk = g * group / kBlock;
        uint8_t *fields = want.data() + base + g * group_bytes(width) + lane * 48;
        const bool nan = j == 17 && blk == 0;
        const uint16_t scale = f32_to_f16(nan ? std::nanf("") : w.scale[j * nb + blk]);
        std::memcpy(fields + jj * 2, &scale, 2);
        fields[32 + jj] = nan ? 0 : static_cast<uint8_t>(w.zero[j * nb + blk]);
        if (!nan) {
          // 16 levels 0.5 apart from -2: scale exactly 0.5, zero point 4.
          EXPECT_EQ(f16_to_f32(scale), 0.5f);
          EXPECT_EQ(w.zero[j * nb + blk], 4);
        }
      }
      for (int64_t kk = 0; kk < k; ++kk) {
        const int64_t g = kk / group, quad = kk % group / 4;
        uint8_t &byte = want[base + g * group_bytes(width) + field_bytes(width) + quad * width * 32 + lane * 32 +
                             (jj % 8) * 4 + kk % 4];
        const int q = j == 17 && kk < 32 ? 0 : w.q[j * k + kk];
        byte |= static_cast<uint8_t>(jj < 8 ? q : q << 4);
      }
    }
    for (uint64_t i = 0; i < bytes; ++i) ASSERT_EQ(packed[i], want[i]) << "byte " << i;
  }
  GemmStorage s;
  EXPECT_TRUE(parse_gemm_format("q4.strip128x32h", &s));
  EXPECT_EQ(s, GemmStorage::q4);
  EXPECT_STREQ(gemm_format_name(GemmStorage::q4), "q4.strip128x32h");
  EXPECT_NE(gemm_format_list().find("q4.strip128x32h"), std::string::npos);
  EXPECT_TRUE(parse_gemm_format("q4.strip128x128h", &s));
  EXPECT_EQ(s, GemmStorage::q4g128);
  EXPECT_NE(gemm_format_list().find("q4.strip128x128h"), std::string::npos);
  // The layouts of earlier builds (panels one after the other) no longer load.
  EXPECT_FALSE(parse_gemm_format("q4.panel16x32", &s));
  EXPECT_FALSE(parse_gemm_format("q4.panel16x32h", &s));
  EXPECT_FALSE(parse_gemm_format("q4.panel16x128h", &s));
  // 5 rows of A, 2 blocks of 32 bytes each (rows 64-aligned), then 5 x 2 scales and sums (64 bytes each).
  EXPECT_EQ(gemm_packed_workspace(5, PackedB{nullptr, 50, 8, GemmStorage::q4}), 5u * 64 + 64 + 64);
  EXPECT_EQ(gemm_packed_workspace(5, PackedB{nullptr, 50, 8, GemmStorage::q4g128}), 5u * 64 + 64 + 64);
}

TEST(GemmQ4, EmptyDimensions) {
  for (GemmStorage st : kStorages) expect_empty_dimensions(st);
}

// Tiny blocks: a scale that rounds to f16 zero leaves the block zero, a huge
// range saturates the scale at the largest f16.
TEST(GemmQ4, ScalesOutsideTheF16RangeSaturateOrVanish) {
  const int64_t k = 32, n = 2;
  std::vector<float> b(k * n);
  for (int64_t kk = 0; kk < k; ++kk) {
    b[kk * n + 0] = 1e-9f * float(kk % 5);       // range / 15 far below the smallest f16
    b[kk * n + 1] = 1e7f * float(kk % 3) - 1e7f;  // range / 15 above 65504
  }
  for (GemmStorage st : kStorages) {
    SCOPED_TRACE(gemm_format_name(st));
    std::vector<uint8_t> packed(gemm_packed_bytes(k, n, st));
    gemm_pack(b.data(), n, false, k, n, st, packed.data());
    uint16_t s0, s1;  // one panel: the group's fields first, then its nibbles
    std::memcpy(&s0, packed.data(), 2);
    std::memcpy(&s1, packed.data() + 2, 2);
    EXPECT_EQ(s0, 0);
    EXPECT_EQ(f16_to_f32(s1), kF16Max);
    for (int i = 0; i < 256; ++i) {
      if (i % 32 < 4) {
        ASSERT_EQ(packed[64 + i] & 15, 0) << i;  // column 0's nibbles (bytes 0-3 of each quad)
      }
    }
  }
}

// A checkpoint's own 4-bit values (AWQ / GPTQ / compressed-tensors: groups of
// 64, 128 or the whole K per scale) are stored unchanged in each layout whose
// groups they fit: the product equals the one of the dequantized weight,
// computed with the same block arithmetic written out here, bit for bit on
// every ISA and in either layout.
TEST(GemmQ4, CheckpointValuesArePackedUnchanged) {
  EXPECT_TRUE(gemm_q4_values_fit(200, 64, GemmStorage::q4));
  EXPECT_TRUE(gemm_q4_values_fit(200, 200, GemmStorage::q4));
  EXPECT_TRUE(gemm_q4_values_fit(200, 1000, GemmStorage::q4));
  EXPECT_FALSE(gemm_q4_values_fit(200, 16, GemmStorage::q4));
  EXPECT_FALSE(gemm_q4_values_fit(200, 48, GemmStorage::q4));
  EXPECT_TRUE(gemm_q4_values_fit(300, 128, GemmStorage::q4g128));
  EXPECT_TRUE(gemm_q4_values_fit(300, 256, GemmStorage::q4g128));
  EXPECT_TRUE(gemm_q4_values_fit(300, 300, GemmStorage::q4g128));
  EXPECT_FALSE(gemm_q4_values_fit(300, 64, GemmStorage::q4g128));
  EXPECT_FALSE(gemm_q4_values_fit(300, 128, GemmStorage::i8));
  SerialParallel serial;
  for (int64_t group : {int64_t{64}, int64_t{128}, int64_t{-1}})
    for (GemmStorage st : kStorages) {
      const int64_t m = 3, k = 300, n = 37, g = group < 0 ? k : group, groups = (k + g - 1) / g;
      if (!gemm_q4_values_fit(k, g, st)) continue;
      SCOPED_TRACE(testing::Message() << gemm_format_name(st) << " group " << g);
      std::vector<uint8_t> nib(n * ((k + 1) / 2)), zero(n * groups);
      std::vector<uint16_t> scale(n * groups);
      std::vector<float> w(n * k);  // the dequantized weight [n][k]
      for (int64_t j = 0; j < n; ++j) {
        for (int64_t gi = 0; gi < groups; ++gi) {
          scale[j * groups + gi] = f32_to_f16(0.01f * float(1 + (j * 3 + gi) % 7));
          zero[j * groups + gi] = static_cast<uint8_t>((j + 5 * gi) % 17);  // 16: GPTQ v1's zero + 1
        }
        for (int64_t kk = 0; kk < k; ++kk) {
          const int q = int((j * 31 + kk * 7 + kk / 9) % 16);
          nib[j * ((k + 1) / 2) + kk / 2] |= static_cast<uint8_t>(q << (kk % 2 * 4));
          const int64_t gi = kk / g;
          w[j * k + kk] = f16_to_f32(scale[j * groups + gi]) * float(q - zero[j * groups + gi]);
        }
      }
      std::vector<uint8_t> packed(gemm_packed_bytes(k, n, st), 0xcd);
      gemm_q4_pack_values(Q4Values{nib.data(), scale.data(), zero.data(), g}, k, n, st, packed.data());
      // Reference: the block product over the values written out, as the
      // quantize_each_block reference does for compile-time quantization.
      WeightBlocks wb;
      const int64_t nb = (k + kBlock - 1) / kBlock;
      wb.scale.assign(n * nb, 0.0f);
      wb.zero.assign(n * nb, 0);
      wb.q.assign(n * k, 0);
      for (int64_t j = 0; j < n; ++j)
        for (int64_t blk = 0; blk < nb; ++blk) {
          const int64_t gi = blk * kBlock / g;
          wb.scale[j * nb + blk] = f16_to_f32(scale[j * groups + gi]);
          wb.zero[j * nb + blk] = zero[j * groups + gi];
        }
      for (int64_t j = 0; j < n; ++j)
        for (int64_t kk = 0; kk < k; ++kk) wb.q[j * k + kk] = (nib[j * ((k + 1) / 2) + kk / 2] >> (kk % 2 * 4)) & 15;
      Problem p{m, k, n, true, true};
      Operands o(p, 91);
      std::vector<float> bkn(k * n);  // B = w^T, [k][n]
      for (int64_t j = 0; j < n; ++j)
        for (int64_t kk = 0; kk < k; ++kk) bkn[kk * n + j] = w[j * k + kk];
      const QuantExpected e = reference_blocks(p, o.a, bkn, o.bias, o.res, wb);
      for (Isa isa : kAllIsas) {
        if (!isa_supported(isa)) continue;
        IsaGuard guard(isa);
        std::vector<float> c(m * n, -1.0f);
        std::vector<uint8_t> ws(gemm_packed_workspace(m, PackedB{packed.data(), k, n, st}) + 64);
        void *wsp = ws.data() + (64 - reinterpret_cast<uintptr_t>(ws.data()) % 64) % 64;
        GemmEpilogue ep;
        ep.bias = o.bias.data();
        ep.residual = o.res.data();
        ep.ldr = n;
        gemm_packed(m, o.a.data(), k, PackedB{packed.data(), k, n, st}, c.data(), n, ep, serial, wsp);
        expect_bitwise(c, e.exact, isa_name(isa));
        expect_close(c, e.vs_f32, "checkpoint q4 vs f32");
      }
    }
}

}  // namespace
