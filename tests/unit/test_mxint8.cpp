// MXINT8 rows (kernels/mxint8.hpp) against the OCP MX v1.0 definition written
// out independently: the shared exponent is the largest e in [-127, 127] with
// 2^e <= max |x| (found by search, not by frexp), and each element is the
// int8 in [-127, 127] nearest to x / 2^e * 64, ties to even (found by
// comparing candidates, not by nearbyint).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "kernels/mxint8.hpp"

namespace {

using namespace qeff::kernels;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// The bytes the spec gives for one row.
std::vector<uint8_t> spec_row(const std::vector<float> &x) {
  const int64_t d = static_cast<int64_t>(x.size()), nb = mxint8_blocks(d);
  std::vector<uint8_t> out(static_cast<size_t>(mxint8_row_bytes(d)), 0);
  for (int64_t b = 0; b < nb; ++b) {
    const int64_t c0 = b * 32, c1 = std::min(c0 + 32, d);
    double amax = 0;
    bool finite = true;
    for (int64_t c = c0; c < c1; ++c) {
      finite = finite && std::isfinite(x[static_cast<size_t>(c)]);
      if (finite) amax = std::max(amax, std::fabs(static_cast<double>(x[static_cast<size_t>(c)])));
    }
    if (!finite) {
      out[static_cast<size_t>(d + b)] = 255;
      continue;
    }
    int e = -127;
    for (int t = -127; t <= 127; ++t)
      if (std::ldexp(1.0, t) <= amax) e = t;
    out[static_cast<size_t>(d + b)] = amax == 0 ? 0 : static_cast<uint8_t>(e + 127);
    if (amax == 0) continue;
    for (int64_t c = c0; c < c1; ++c) {
      const double v = std::ldexp(static_cast<double>(x[static_cast<size_t>(c)]), 6 - e);
      int best = 0;
      double best_err = std::numeric_limits<double>::infinity();
      for (int q = -127; q <= 127; ++q) {
        const double err = std::fabs(v - q);
        if (err < best_err || (err == best_err && q % 2 == 0)) best = q, best_err = err;
      }
      out[static_cast<size_t>(c)] = static_cast<uint8_t>(static_cast<int8_t>(best));
    }
  }
  return out;
}

void expect_spec(const std::vector<float> &x, const char *what) {
  const int64_t d = static_cast<int64_t>(x.size());
  std::vector<uint8_t> got(static_cast<size_t>(mxint8_row_bytes(d)), 0xAA);
  mxint8_quantize_rows(x.data(), 1, d, got.data());
  const std::vector<uint8_t> want = spec_row(x);
  ASSERT_EQ(got, want) << what;
  // Reads back as q * 2^(e - 6), exactly.
  std::vector<float> back(static_cast<size_t>(d), -7.0f);
  mxint8_dequantize_rows(got.data(), mxint8_row_bytes(d), 1, d, back.data());
  for (int64_t c = 0; c < d; ++c) {
    const uint8_t e8 = want[static_cast<size_t>(d + c / 32)];
    const auto q = static_cast<int8_t>(want[static_cast<size_t>(c)]);
    if (e8 == 255) {
      EXPECT_TRUE(std::isnan(back[static_cast<size_t>(c)])) << what << " at " << c;
      continue;
    }
    const double exact = std::ldexp(static_cast<double>(q), e8 - 133);
    EXPECT_EQ(static_cast<double>(back[static_cast<size_t>(c)]), exact) << what << " at " << c;
  }
}

TEST(MxInt8, RowBytesAndTheirInverse) {
  EXPECT_EQ(mxint8_row_bytes(64), 66);
  EXPECT_EQ(mxint8_row_bytes(128), 132);
  EXPECT_EQ(mxint8_row_bytes(72), 75);
  EXPECT_EQ(mxint8_row_bytes(1), 2);
  for (int64_t d = 1; d <= 2000; ++d) EXPECT_EQ(mxint8_dim_of_row(mxint8_row_bytes(d)), d) << d;
  int64_t missing = 0;
  for (int64_t r = 2; r <= 2000; ++r) missing += mxint8_dim_of_row(r) < 0;
  EXPECT_GT(missing, 0);  // 33 + 32k bytes: no d (32 + 1 = 33 is d = 32 ... 34 is d = 33)
}

TEST(MxInt8, RandomRowsOfEveryScaleMatchTheSpec) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int64_t d : {32, 64, 72, 13, 128})
    for (int scale : {-140, -130, -100, -20, -1, 0, 3, 40, 120}) {
      std::vector<float> x(static_cast<size_t>(d));
      for (float &v : x) v = std::ldexp(u(rng), scale);
      expect_spec(x, ("d " + std::to_string(d) + " scale 2^" + std::to_string(scale)).c_str());
    }
}

TEST(MxInt8, EdgesOfTheFormat) {
  std::vector<float> x(40, 0.0f);
  expect_spec(x, "zeros");  // E = 0, q = 0
  x[3] = 4.0f;              // an exact power of two: e = 2, q = 64
  x[4] = -4.0f * (2.0f - std::ldexp(1.0f, -8));  // 127.98 units: saturates to -127
  x[5] = 5.5f / 16;                               // 5.5 units (2^(e - 6) = 1/16): a tie, to 6
  x[7] = 6.5f / 16;                               // 6.5 units: a tie, to 6
  x[6] = 4.0f * (1.0f + 1.0f / 128);              // amax just above 4: 64.5 units, a tie to 64
  x[35] = std::numeric_limits<float>::max();      // e = 127 in the second block
  x[36] = -1e-45f;                                // a subnormal beside it: rounds to 0
  expect_spec(x, "edges");
  std::vector<uint8_t> got(static_cast<size_t>(mxint8_row_bytes(40)));
  mxint8_quantize_rows(x.data(), 1, 40, got.data());
  EXPECT_EQ(got[40], 129);  // e = 2 (x[6] < 8)
  EXPECT_EQ(got[41], 254);  // e = 127
  EXPECT_EQ(static_cast<int8_t>(got[4]), -127);
  EXPECT_EQ(static_cast<int8_t>(got[6]), 64);
  EXPECT_EQ(static_cast<int8_t>(got[5]), 6);
  EXPECT_EQ(static_cast<int8_t>(got[7]), 6);
  // Only the smallest normal exponents: amax < 2^-127 clamps e to -127.
  std::vector<float> tiny(8, std::ldexp(1.0f, -128));
  tiny[1] = -std::ldexp(3.0f, -149);
  expect_spec(tiny, "subnormal block");
  mxint8_quantize_rows(tiny.data(), 1, 8, got.data());
  EXPECT_EQ(got[8], 0);
  EXPECT_EQ(static_cast<int8_t>(got[0]), 32);  // 2^-128 / 2^-127 * 64
  EXPECT_EQ(static_cast<int8_t>(got[1]), 0);   // 3 2^-149 is 3 2^-16 units
}

TEST(MxInt8, NonFiniteBlocksReadBackAsNaN) {
  for (float bad : {kNaN, kInf, -kInf}) {
    std::vector<float> x(64, 1.0f);
    x[40] = bad;
    expect_spec(x, "non-finite");
    std::vector<uint8_t> got(static_cast<size_t>(mxint8_row_bytes(64)));
    mxint8_quantize_rows(x.data(), 1, 64, got.data());
    EXPECT_EQ(got[64], 127);  // the finite block: e = 0
    EXPECT_EQ(got[65], 255);
    std::vector<float> back(64);
    mxint8_dequantize_rows(got.data(), 66, 1, 64, back.data());
    EXPECT_EQ(back[0], 1.0f);
    EXPECT_TRUE(std::isnan(back[32]) && std::isnan(back[63]));
  }
}

TEST(MxInt8, UnitsAreExactPowersOfTwo) {
  EXPECT_EQ(mxint8_unit(127), std::ldexp(1.0f, -6));
  EXPECT_EQ(mxint8_unit(0), std::ldexp(1.0f, -133));
  EXPECT_GT(mxint8_unit(0), 0.0f);
  EXPECT_EQ(mxint8_unit(254), std::ldexp(1.0f, 121));
  EXPECT_TRUE(std::isnan(mxint8_unit(255)));
}

}  // namespace
