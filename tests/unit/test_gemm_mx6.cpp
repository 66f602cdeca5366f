// Unit tests: MXFP6 weights (mxfp6.panel16x32, src/kernels/gemm_mx6*.cpp).
// The OCP MX quantization is written out here from the spec, independently
// of the packer: the shared scale 2^(floor(log2 amax) - 2) per block of 32,
// each element the nearest of the 64 FP6 E2M3 values (ties to the even
// mantissa), saturating. Every ISA path is compared bit for bit with the
// block product over those values (gemm_test_support.hpp), and with the
// double-precision product within the error they imply.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "gemm_test_support.hpp"

namespace {

using namespace gemm_test;

constexpr int64_t kBlock = kRefBlock;

// The value of the E2M3 code c (0..63): sign, 2 exponent bits (bias 1), 3
// mantissa bits; exponent 0 is subnormal (m / 8).
double e2m3_value(int c) {
  const int e = (c >> 3) & 3, m = c & 7;
  const double mag = e == 0 ? m / 8.0 : (1.0 + m / 8.0) * std::ldexp(1.0, e - 1);
  return c & 32 ? -mag : mag;
}

// The nearest E2M3 code to y (ties to the even mantissa); |y| past 7.5 saturates.
int nearest_e2m3(double y) {
  int best = 0;
  for (int c = 0; c < 64; ++c) {
    const double d = std::fabs(e2m3_value(c) - y), db = std::fabs(e2m3_value(best) - y);
    if (d < db || (d == db && (c & 1) == 0 && (best & 1) == 1)) best = c;
  }
  return best;
}

WeightBlocks quantize_weights_ref(const std::vector<float> &b, int64_t k, int64_t n) {
  return quantize_each_block(b, k, n, [&](const BlockStats &st, int64_t j, int64_t k0, int64_t k1, float &s, int &,
                                          int *q) {
    if (st.non_finite) {
      s = std::nanf("");
      return;
    }
    if (st.amax < std::ldexp(1.0f, -121)) return;  // stored as zero
    const int shared = std::ilogb(st.amax) - 2;     // floor(log2 amax) - emax(E2M3)
    s = std::ldexp(1.0f, shared - 3);               // the factor of the element values x 8
    for (int64_t kk = k0; kk < k1; ++kk)
      q[kk] = static_cast<int>(e2m3_value(nearest_e2m3(std::ldexp(double(b[kk * n + j]), -shared))) * 8);
  });
}

QuantExpected reference_mx6(const Problem &p, const std::vector<float> &a, const std::vector<float> &b,
                            const std::vector<float> &bias, const std::vector<float> &res) {
  return reference_blocks(p, a, b, bias, res, quantize_weights_ref(b, p.k, p.n));
}

TEST(GemmMx6, EveryIsaComputesTheDocumentedQuantizationExactly) {
  expect_every_isa_exact(GemmStorage::mx6, 2300, reference_mx6);
}

TEST(GemmMx6, PartitionsAndTransposedPackingGiveIdenticalResults) {
  expect_partitions_identical(GemmStorage::mx6, 2500, true);
}

// The rounding error of every element is at most half the local step of the
// E2M3 grid (1/8 below 2, 1/4 below 4, 1/2 up to 7.5 in units of the scale),
// except for saturated values; on average much less.
TEST(GemmMx6, ElementsAreTheNearestGridValues) {
  const int64_t k = 96, n = 40;
  std::vector<float> b = random_vec(k * n, 91);
  for (size_t i = 0; i < b.size(); i += 5) b[i] *= 0.01f;  // small values: the subnormal range
  const WeightBlocks w = quantize_weights_ref(b, k, n);
  double sum = 0;
  for (int64_t j = 0; j < n; ++j)
    for (int64_t kk = 0; kk < k; ++kk) {
      const float s = w.scale[j * 3 + kk / kBlock];
      const double y = b[kk * n + j] / (8.0 * s);  // in units of X
      const double step = std::fabs(y) < 2 ? 0.125 : std::fabs(y) < 4 ? 0.25 : 0.5;
      const double err = std::fabs(w.q[j * k + kk] / 8.0 - y);
      EXPECT_LE(err, std::fabs(y) > 7.5 ? std::fabs(y) - 7.5 : step / 2) << j << " " << kk;
      sum += err / step;
    }
  EXPECT_LT(sum / double(k * n), 0.3);
}

// A NaN or an infinity in a row of A makes that row NaN, a zero row is zero;
// a weight block holding an infinity makes its column NaN (the zero row's
// too) and nothing else.
TEST(GemmMx6, NonFiniteValuesStayInTheirRowAndColumn) {
  SerialParallel serial;
  for (Isa isa : kAllIsas) {
    if (!isa_supported(isa)) continue;
    IsaGuard g(isa);
    Problem p{5, 70, 40};
    Operands o(p, 41);
    const auto clean = run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::mx6, serial);
    o.a[1 * p.k + 65] = std::nanf("");
    for (int64_t i = 0; i < p.k; ++i) o.a[3 * p.k + i] = 0.0f;
    o.b[40 * p.n + 9] = INFINITY;  // weight column 9, block 1
    const auto c = run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::mx6, serial);
    for (int64_t j = 0; j < p.n; ++j) {
      SCOPED_TRACE(testing::Message() << isa_name(isa) << " column " << j);
      EXPECT_TRUE(std::isnan(c[1 * p.n + j]));
      if (j != 9) {
        EXPECT_EQ(c[3 * p.n + j], 0.0f);  // (0 times the NaN scale is NaN)
      }
      for (int64_t i : {0, 2, 3, 4}) {
        if (j == 9) {
          EXPECT_TRUE(std::isnan(c[i * p.n + j]));
        } else if (i != 3) {
          EXPECT_EQ(c[i * p.n + j], clean[i * p.n + j]);
        }
      }
    }
  }
}

// The bytes are where gemm.hpp says: low 4 bits in the q4 nibble layout, the
// high 2 bits (exponent bit 1, sign) in their plane, E8M0 scales after them.
TEST(GemmMx6, PackedLayoutIsSuperblocksOfNibblesHighBitsAndScales) {
  const int64_t k = 150, n = 18;  // 2 panels; 5 blocks (2 superblocks), the last partial
  std::vector<float> b = random_vec(k * n, 7);
  b[0 * n + 17] = std::nanf("");              // column 17, block 0: not finite
  for (int64_t kk = 32; kk < 64; ++kk) b[kk * n + 3] = 1e-37f;  // column 3, block 1: below 2^-121
  b[70 * n + 5] = 7.9f;                       // column 5, block 2: amax 7.9 -> X = 1, saturates to 7.5
  b[100 * n + 6] = -3.0e30f;                  // column 6, block 3: a large scale
  const uint64_t bytes = gemm_packed_bytes(k, n, GemmStorage::mx6);
  EXPECT_EQ(bytes, 2u * 2 * 1600);
  std::vector<uint8_t> packed(bytes, 0xcd);
  gemm_pack(b.data(), n, false, k, n, GemmStorage::mx6, packed.data());
  const WeightBlocks w = quantize_weights_ref(b, k, n);
  EXPECT_EQ(w.q[5 * k + 70], 60);
  EXPECT_EQ(w.scale[5 * 5 + 2], std::ldexp(1.0f, -3));
  for (int64_t j = 0; j < 32; ++j)
    for (int64_t blk = 0; blk < 8; ++blk) {
      SCOPED_TRACE(testing::Message() << "column " << j << " block " << blk);
      const uint8_t *super = packed.data() + (j / 16) * 2 * 1600 + (blk / 4) * 1600;
      const uint8_t scale = super[1536 + (blk % 4) * 16 + j % 16];
      const bool real = j < n && blk < 5;
      if (!real || (j == 3 && blk == 1)) {
        EXPECT_EQ(scale, 0);
      } else if (j == 17 && blk == 0) {
        EXPECT_EQ(scale, 255);
      } else {
        EXPECT_EQ(std::ldexp(1.0f, scale - 127 - 3), w.scale[j * 5 + blk]);
      }
      for (int64_t i = 0; i < 32; ++i) {
        const int64_t kk = blk * 32 + i;
        const int q = static_cast<int>(i / 4), pos = static_cast<int>((j % 8) * 4 + i % 4);
        const uint8_t byte = super[(blk % 4) * 256 + q * 32 + pos];
        const int low = (j % 16) < 8 ? byte & 15 : byte >> 4;
        const uint8_t hb = super[1024 + (blk % 4) * 128 + q / 2 * 32 + pos];
        const int field = (hb >> (q % 2 * 4 + ((j % 16) < 8 ? 0 : 2))) & 3;
        const int code = low | field << 4;
        const int want = real && kk < k && !(j == 17 && blk == 0) ? w.q[j * k + kk] : 0;
        ASSERT_EQ(e2m3_value(code) * 8, want) << "k " << kk << " code " << code;
      }
    }
  GemmStorage s;
  EXPECT_TRUE(parse_gemm_format("mxfp6.panel16x32", &s));
  EXPECT_EQ(s, GemmStorage::mx6);
  EXPECT_STREQ(gemm_format_name(GemmStorage::mx6), "mxfp6.panel16x32");
  // As for q4: 5 rows of 2 blocks (rows 64-aligned), then 5 x 2 scales and sums.
  EXPECT_EQ(gemm_packed_workspace(5, PackedB{nullptr, 50, 8, GemmStorage::mx6}), 5u * 64 + 64 + 64);
}

TEST(GemmMx6, EmptyDimensions) { expect_empty_dimensions(GemmStorage::mx6); }

}  // namespace
