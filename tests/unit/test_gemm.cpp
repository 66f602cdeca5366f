// Unit tests: the GEMM kernels (src/kernels/gemm*). The portable path is
// checked against a double-precision reference, every ISA path this machine
// has against the portable one, and the thread partitioning against a serial
// run (bit-identical: every output is summed in the same order whatever the
// partition). int8 storage (W8A8) is checked bit for bit against the
// documented quantization computed here in plain C++, on every ISA path, and
// against the double-precision reference within the quantization error bound.
//
// Tolerance: an f32 dot product of length K summed in order has an error of
// about sqrt(K) eps sum_k |a_k b_k| (eps = 2^-24 per rounding, randomly signed
// errors); we allow 1e-6 sqrt(K) sum_k |a_k b_k| (~8 eps sqrt(K)), and the
// epilogue's activation adds 1e-6 relative.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "kernels/cpu.hpp"
#include "kernels/gemm.hpp"
#include "kernels/parallel.hpp"
#include "gemm_test_support.hpp"

using namespace qeff::kernels;

namespace qeff_test {

std::unique_ptr<Parallel> make_thread_parallel(int threads) { return std::make_unique<ThreadParallel>(threads); }

}  // namespace qeff_test

namespace {

using namespace gemm_test;
using qeff_test::ThreadParallel;

TEST(Gemm, PortableMatchesDoubleReference) {
  IsaGuard guard(Isa::portable);
  SerialParallel serial;
  uint32_t seed = 1;
  for (const Problem &p : kProblems) {
    Operands o(p, seed += 10);
    SCOPED_TRACE(testing::Message() << p.m << "x" << p.k << "x" << p.n);
    expect_close(run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::f32, serial),
                 reference(p, o.a, o.b, o.bias, o.res), "portable");
  }
}

TEST(Gemm, EveryIsaMatchesPortable) {
  SerialParallel serial;
  for (Isa isa : {Isa::avx2, Isa::avx512}) {
    if (!isa_supported(isa)) {
      std::printf("[   NOTE   ] %s not supported here; not run\n", isa_name(isa));
      continue;
    }
    uint32_t seed = 100;
    for (const Problem &p : kProblems) {
      Operands o(p, seed += 10);
      SCOPED_TRACE(testing::Message() << isa_name(isa) << " " << p.m << "x" << p.k << "x" << p.n);
      std::vector<float> portable, simd;
      {
        IsaGuard g(Isa::portable);
        portable = run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::f32, serial);
      }
      {
        IsaGuard g(isa);
        ASSERT_EQ(active_isa(), isa);
        simd = run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::f32, serial);
      }
      Expected e = reference(p, o.a, o.b, o.bias, o.res);
      e.value = portable;
      for (double &x : e.bound) x *= 2;  // both paths are within one bound of the exact value
      expect_close(simd, e, isa_name(isa));
      // bf16 and f16 storage too: the same rounded weights on both paths.
      for (GemmStorage st : {GemmStorage::bf16, GemmStorage::f16}) {
        {
          IsaGuard g(Isa::portable);
          portable = run_packed(p, o.a, o.b, o.bias, o.res, st, serial);
        }
        {
          IsaGuard g(isa);
          simd = run_packed(p, o.a, o.b, o.bias, o.res, st, serial);
        }
        e.value = portable;
        expect_close(simd, e, gemm_format_name(st));
      }
    }
  }
}

// 16-bit storage computes the product of the rounded weights (f16: weights
// beyond 65504, infinities included, saturate there) in f32, on every path.
TEST(Gemm, SixteenBitStorageMatchesReferenceWithRoundedWeights) {
  SerialParallel serial;
  for (GemmStorage st : {GemmStorage::bf16, GemmStorage::f16}) {
    uint32_t seed = 300;
    for (const Problem &p : kProblems) {
      Operands o(p, seed += 10);
      const bool extremes = st == GemmStorage::f16 && o.b.size() >= 4;
      if (extremes) o.b[0] = 1e6f, o.b[1] = -7e4f, o.b[2] = 1e-6f, o.b[3] = -INFINITY;  // saturated x2, subnormal, saturated
      std::vector<float> rounded = o.b;
      for (float &x : rounded)
        x = st == GemmStorage::bf16 ? bf16_to_f32(f32_to_bf16(x)) : f16_to_f32(f32_to_f16(std::clamp(x, -65504.0f, 65504.0f)));
      if (extremes) {
        EXPECT_EQ(rounded[0], 65504.0f);
        EXPECT_EQ(rounded[1], -65504.0f);
        EXPECT_EQ(rounded[3], -65504.0f);
      }
      for (Isa isa : kAllIsas) {
        if (!isa_supported(isa)) continue;
        IsaGuard g(isa);
        SCOPED_TRACE(testing::Message() << gemm_format_name(st) << " " << isa_name(isa) << " " << p.m << "x" << p.k
                                        << "x" << p.n);
        expect_close(run_packed(p, o.a, o.b, o.bias, o.res, st, serial), reference(p, o.a, rounded, o.bias, o.res),
                     gemm_format_name(st));
      }
    }
  }
}

TEST(Gemm, Bf16RoundsToNearestEven) {
  auto bits = [](uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f32_to_bf16(f);
  };
  EXPECT_EQ(bits(0x3f800000u), 0x3f80);  // 1.0
  EXPECT_EQ(bits(0x3f808000u), 0x3f80);  // halfway, even below: down
  EXPECT_EQ(bits(0x3f818000u), 0x3f82);  // halfway, odd below: up
  EXPECT_EQ(bits(0x3f808001u), 0x3f81);  // above halfway: up
  EXPECT_EQ(bits(0x3f807fffu), 0x3f80);  // below halfway: down
  EXPECT_EQ(bits(0x7f7fffffu), 0x7f80);  // FLT_MAX rounds to infinity
  EXPECT_EQ(bits(0xff800000u), 0xff80);  // -infinity
  EXPECT_EQ(bits(0x80000000u), 0x8000);  // -0
  const uint16_t nan = bits(0x7f800001u);  // a NaN whose payload sits in the low bits only
  EXPECT_EQ(nan & 0x7f80, 0x7f80);
  EXPECT_NE(nan & 0x007f, 0);  // still a NaN, not infinity
  EXPECT_EQ(bf16_to_f32(0x4049), 3.140625f);
}

TEST(Gemm, F16RoundsToNearestEven) {
  auto bits = [](uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f32_to_f16(f);
  };
  EXPECT_EQ(bits(0x3f800000u), 0x3c00);  // 1.0
  EXPECT_EQ(bits(0x3f801000u), 0x3c00);  // halfway (13 dropped bits), even below: down
  EXPECT_EQ(bits(0x3f803000u), 0x3c02);  // halfway, odd below: up
  EXPECT_EQ(bits(0x3f801001u), 0x3c01);  // above halfway: up
  EXPECT_EQ(bits(0x477fe000u), 0x7bff);  // 65504, the largest finite half
  EXPECT_EQ(bits(0x477ff000u), 0x7c00);  // 65520 rounds to infinity
  EXPECT_EQ(bits(0x33800000u), 0x0001);  // 2^-24, the smallest subnormal
  EXPECT_EQ(bits(0x33000000u), 0x0000);  // 2^-25: halfway to it, ties to even (zero)
  EXPECT_EQ(bits(0x80000000u), 0x8000);  // -0
  EXPECT_EQ(bits(0xff800000u), 0xfc00);  // -infinity
  EXPECT_EQ(bits(0x7fc00000u) & 0x7e00, 0x7e00);  // NaN stays a quiet NaN
  EXPECT_EQ(f16_to_f32(0x4248), 3.140625f);
  EXPECT_EQ(f16_to_f32(0x0001), 0x1p-24f);
  for (uint32_t h = 0; h < 0x7c00; ++h)  // every finite half survives the round trip
    ASSERT_EQ(f32_to_f16(f16_to_f32(static_cast<uint16_t>(h))), h);
}

// gemm_pack cuts large weights into ranges of whole panels packed on several
// threads: any number of ranges (more than the panels too) gives the bytes of
// one range, for every storage, both orientations, with NaN, infinities and a
// zero column in ragged last panels; and a weight above the size where the
// default policy goes parallel packs as one range does.
TEST(Gemm, PackingInRangesGivesTheSameBytes) {
  struct Reset {
    ~Reset() { gemm_pack_ranges_for_tests(0); }
  } reset;
  std::mt19937 rng(91);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  auto pack = [](const std::vector<float> &w, int64_t k, int64_t n, bool transposed, GemmStorage s, int ranges) {
    gemm_pack_ranges_for_tests(ranges);
    std::vector<uint8_t> out(gemm_packed_bytes(k, n, s));
    gemm_pack(w.data(), transposed ? k : n, transposed, k, n, s, out.data());
    return out;
  };
  const GemmStorage all[] = {GemmStorage::f32, GemmStorage::bf16, GemmStorage::f16, GemmStorage::i8,
                             GemmStorage::q4,  GemmStorage::q4g128, GemmStorage::mx6};
  const int64_t k = 300, n = 83;  // 6 panels, the last of 3 columns; k not a multiple of 32 or 128
  std::vector<float> w(static_cast<size_t>(k * n));
  for (float &v : w) v = normal(rng);
  w[5] = std::nanf(""), w[700] = INFINITY, w[9000] = -INFINITY;
  for (bool transposed : {false, true}) {
    std::vector<float> z = w;
    for (int64_t kk = 0; kk < k; ++kk) z[static_cast<size_t>(transposed ? 40 * k + kk : kk * n + 40)] = 0.0f;
    for (GemmStorage s : all) {
      const std::vector<uint8_t> one = pack(z, k, n, transposed, s, 1);
      for (int ranges : {2, 3, 6, 16, 0})
        EXPECT_EQ(pack(z, k, n, transposed, s, ranges), one)
            << gemm_format_name(s) << (transposed ? " transposed" : "") << ", " << ranges << " ranges";
    }
  }
  const int64_t bk = 1024, bn = 1040;  // 2^20 + 16 Ki elements: the default policy packs it in parallel
  std::vector<float> big(static_cast<size_t>(bk * bn));
  for (float &v : big) v = normal(rng);
  for (GemmStorage s : {GemmStorage::i8, GemmStorage::q4g128, GemmStorage::bf16})
    EXPECT_EQ(pack(big, bk, bn, true, s, 0), pack(big, bk, bn, true, s, 1)) << gemm_format_name(s);
}

TEST(Gemm, PackedLayoutIsPanelsOf16) {
  const int64_t k = 3, n = 20;
  std::vector<float> b(k * n);
  for (int64_t i = 0; i < k * n; ++i) b[i] = float(i + 1);
  EXPECT_EQ(gemm_packed_bytes(k, n, GemmStorage::f32), 384u);  // 2 panels x 3 rows x 16 x 4 bytes
  EXPECT_EQ(gemm_packed_bytes(k, n, GemmStorage::bf16), 192u);
  EXPECT_EQ(gemm_packed_bytes(1, 1, GemmStorage::bf16), 64u);  // rounded up to 64 bytes
  std::vector<float> packed(384 / 4, -1.0f), packed_t(384 / 4, -2.0f);
  gemm_pack(b.data(), n, false, k, n, GemmStorage::f32, packed.data());
  std::vector<float> bt(k * n);
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t j = 0; j < n; ++j) bt[j * k + kk] = b[kk * n + j];
  gemm_pack(bt.data(), k, true, k, n, GemmStorage::f32, packed_t.data());
  EXPECT_EQ(packed, packed_t);
  for (int64_t p = 0; p < 2; ++p)
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t j = 0; j < 16; ++j) {
        const int64_t col = p * 16 + j;
        EXPECT_EQ(packed[p * k * 16 + kk * 16 + j], col < n ? b[kk * n + col] : 0.0f) << p << " " << kk << " " << j;
      }
  // Padding bytes past the panels are zero (packages are deterministic).
  std::vector<uint8_t> bytes(gemm_packed_bytes(1, 1, GemmStorage::bf16), 0xcd);
  const float one = 1.0f;
  gemm_pack(&one, 1, false, 1, 1, GemmStorage::bf16, bytes.data());
  std::vector<uint8_t> want(64, 0);
  want[0] = 0x80, want[1] = 0x3f;
  EXPECT_EQ(bytes, want);
  GemmStorage s;
  EXPECT_TRUE(parse_gemm_format("bf16.panel16", &s));
  EXPECT_EQ(s, GemmStorage::bf16);
  EXPECT_TRUE(parse_gemm_format("f16.panel16", &s));
  EXPECT_EQ(s, GemmStorage::f16);
  EXPECT_EQ(gemm_packed_bytes(k, n, GemmStorage::f16), 192u);
  std::vector<uint16_t> halves(gemm_packed_bytes(k, n, GemmStorage::f16) / 2, 0xcdcd);
  gemm_pack(b.data(), n, false, k, n, GemmStorage::f16, halves.data());
  for (int64_t kk = 0; kk < k; ++kk) {
    EXPECT_EQ(f16_to_f32(halves[kk * 16 + 3]), b[kk * n + 3]);      // panel 0, column 3
    EXPECT_EQ(f16_to_f32(halves[k * 16 + kk * 16 + 2]), b[kk * n + 18]);  // panel 1, column 18
    EXPECT_EQ(halves[k * 16 + kk * 16 + 4], 0);                          // padding
  }
  EXPECT_FALSE(parse_gemm_format("f32.panel8", &s));
}

TEST(Gemm, TransposedPackingGivesTheSameProduct) {
  SerialParallel serial;
  Problem p{9, 40, 33, true};
  Operands o(p, 7);
  EXPECT_EQ(run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::f32, serial),
            run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::f32, serial, true));
}

TEST(Gemm, PartitionsGiveIdenticalResults) { expect_partitions_identical(GemmStorage::f32, 500, false); }

// A decode row (M = 1: the single-row kernels, 8 panels wide on AVX-512 or 4
// with CpuTuning::narrow_gemv, the bf16 one reading two panel rows per load)
// gives the bits its row gets in a product of several rows (the tiles) on
// every ISA: each ISA's kernels sum an output over k in one order (the ISAs
// differ among themselves). K odd and even, within and past one K block
// (256); N past two wide strips and ragged; with the wide and the narrow
// single-row kernels.
TEST(Gemm, DecodeRowIsBitIdenticalToTileRows) {
  SerialParallel serial;
  for (GemmStorage st : {GemmStorage::f32, GemmStorage::bf16, GemmStorage::f16})
    for (int64_t k : {1, 2, 3, 255, 256, 257, 300, 513}) {
      const Problem rows{3, k, 261, true, true};
      Operands o(rows, static_cast<uint32_t>(k) + 700);
      for (Isa isa : kAllIsas) {
        if (!isa_supported(isa)) continue;
        IsaGuard g(isa);
        const auto tiles = run_packed(rows, o.a, o.b, o.bias, o.res, st, serial);  // M = 3: no single-row kernel
        for (bool narrow : {false, true}) {
          NarrowGemvGuard tuning(narrow);
          SCOPED_TRACE(testing::Message() << isa_name(isa) << " " << gemm_format_name(st) << " k " << k
                                          << " narrow gemv " << narrow);
          for (int64_t r = 0; r < rows.m; ++r) {
            const Problem one{1, k, rows.n, true, true};
            const std::vector<float> a(o.a.begin() + r * k, o.a.begin() + (r + 1) * k);
            const std::vector<float> res(o.res.begin() + r * rows.n, o.res.begin() + (r + 1) * rows.n);
            const std::vector<float> want(tiles.begin() + r * rows.n, tiles.begin() + (r + 1) * rows.n);
            expect_bitwise(run_packed(one, a, o.b, o.bias, res, st, serial), want, "decode row vs tile row");
          }
        }
      }
    }
}

// set_cpu_tuning() replaces the detected tuning until reset_cpu_tuning().
TEST(Gemm, CpuTuningCanBeSetAndReset) {
  const CpuTuning detected = cpu_tuning();
  for (bool narrow : {false, true}) {
    NarrowGemvGuard tuning(narrow);
    EXPECT_EQ(cpu_tuning().narrow_gemv, narrow);
  }
  EXPECT_EQ(cpu_tuning().narrow_gemv, detected.narrow_gemv);
}

TEST(Gemm, DecodeRowUsesEveryThread) {
  ThreadParallel par(2);
  Problem p{1, 64, 5632};
  Operands o(p, 9);
  run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::bf16, par);
  ASSERT_EQ(par.calls.size(), 1u);
  EXPECT_GE(par.calls[0], 2);  // at least one task per thread
  Problem small{16, 384, 384};
  Operands o2(small, 10);
  run_packed(small, o2.a, o2.b, o2.bias, o2.res, GemmStorage::f32, par);
  EXPECT_GE(par.calls[1], 2);
}

// gemm_batched: broadcast indices, transposed operands, residual per batch.
TEST(Gemm, BatchedMatchesReference) {
  const int64_t m = 6, k = 19, n = 21;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      SCOPED_TRACE(testing::Message() << "trans_a " << ta << " trans_b " << tb);
      // 4 products: A matrices {0, 1, 0, 1}, B matrices {0, 0, 1, 2}.
      const int64_t a_idx[] = {0, 1, 0, 1}, b_idx[] = {0, 0, 1, 2};
      auto a = random_vec(2 * m * k, 1), b = random_vec(3 * k * n, 2), res = random_vec(4 * m * n, 3),
           bias = random_vec(n, 4);
      GemmBatch g;
      g.batch = 4, g.m = m, g.n = n, g.k = k;
      g.a = a.data(), g.lda = ta ? m : k, g.a_stride = m * k, g.num_a = 2, g.trans_a = ta, g.a_index = a_idx;
      g.b = b.data(), g.ldb = tb ? k : n, g.b_stride = k * n, g.num_b = 3, g.trans_b = tb, g.b_index = b_idx;
      std::vector<float> c(4 * m * n);
      g.c = c.data(), g.ldc = n, g.c_stride = m * n;
      g.ep.bias = bias.data(), g.ep.activation = Activation::relu, g.ep.residual = res.data(), g.ep.ldr = n;
      g.residual_stride = m * n;
      for (int t : {1, 2}) {
        ThreadParallel par(t);
        std::vector<uint8_t> ws(gemm_batched_workspace(g) + 64);
        void *aligned = ws.data() + (64 - reinterpret_cast<uintptr_t>(ws.data()) % 64) % 64;
        std::fill(c.begin(), c.end(), std::nanf(""));
        gemm_batched(g, aligned, par);
        for (int64_t i = 0; i < 4; ++i) {
          // Plain row-major copies of this product's operands for the reference.
          std::vector<float> ai(m * k), bi(k * n), ri(res.begin() + i * m * n, res.begin() + (i + 1) * m * n);
          const float *as = a.data() + a_idx[i] * m * k, *bs = b.data() + b_idx[i] * k * n;
          for (int64_t r = 0; r < m; ++r)
            for (int64_t kk = 0; kk < k; ++kk) ai[r * k + kk] = ta ? as[kk * m + r] : as[r * k + kk];
          for (int64_t kk = 0; kk < k; ++kk)
            for (int64_t j = 0; j < n; ++j) bi[kk * n + j] = tb ? bs[j * k + kk] : bs[kk * n + j];
          Problem p{m, k, n, true, true, Activation::relu};
          std::vector<float> got(c.begin() + i * m * n, c.begin() + (i + 1) * m * n);
          expect_close(got, reference(p, ai, bi, bias, ri), "batched");
        }
      }
    }
}

TEST(Gemm, EmptyDimensions) { expect_empty_dimensions(GemmStorage::f32); }

// ---- int8 (i8.panel16x4)

TEST(GemmI8, EveryIsaComputesTheDocumentedQuantizationExactly) {
  expect_every_isa_exact(GemmStorage::i8, 700, reference_i8);
}

TEST(GemmI8, PartitionsAndTransposedPackingGiveIdenticalResults) {
  expect_partitions_identical(GemmStorage::i8, 900, true);
}

// A row of A with a NaN or an infinity is NaN throughout; a zero (or tiny)
// row is exactly zero; the other rows do not change.
TEST(GemmI8, NonFiniteAndZeroRowsStayInTheirRow) {
  SerialParallel serial;
  for (Isa isa : kAllIsas) {
    if (!isa_supported(isa)) continue;
    IsaGuard g(isa);
    Problem p{6, 70, 40};
    Operands o(p, 31);
    const auto clean = run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::i8, serial);
    o.a[1 * p.k + 65] = std::nanf("");     // row 1: NaN in the scalar tail
    o.a[2 * p.k + 3] = -INFINITY;          // row 2: infinity in the vector body
    for (int64_t i = 0; i < p.k; ++i) o.a[3 * p.k + i] = 0.0f, o.a[4 * p.k + i] = 1e-31f;
    const auto c = run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::i8, serial);
    for (int64_t j = 0; j < p.n; ++j) {
      SCOPED_TRACE(testing::Message() << isa_name(isa) << " column " << j);
      expect_special_rows(c, clean, p.n, j);
    }
  }
}

TEST(GemmI8, PackedLayoutIsScalesSumsAndVnniQuads) {
  const int64_t k = 5, n = 18;  // 2 panels, 2 quads
  std::vector<float> b(k * n);
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t j = 0; j < n; ++j) b[kk * n + j] = float((kk + 1) * (j % 2 ? -1 : 1)) * float(j + 1) / 8.0f;
  b[0 * n + 17] = std::nanf("");  // column 17 is not finite
  const uint64_t bytes = gemm_packed_bytes(k, n, GemmStorage::i8);
  EXPECT_EQ(bytes, 2u * 16 * 8 + 2u * 2 * 64);
  std::vector<uint8_t> packed(bytes, 0xcd);
  gemm_pack(b.data(), n, false, k, n, GemmStorage::i8, packed.data());
  const auto *scale = reinterpret_cast<const float *>(packed.data());
  const auto *sum = reinterpret_cast<const int32_t *>(packed.data() + 2 * 16 * 4);
  const auto *w = reinterpret_cast<const int8_t *>(packed.data() + 2 * 16 * 8);
  for (int64_t j = 0; j < 32; ++j) {
    SCOPED_TRACE(j);
    if (j >= n) {
      EXPECT_EQ(scale[j], 0.0f);
      EXPECT_EQ(sum[j], 0);
      continue;
    }
    if (j == 17) {
      EXPECT_TRUE(std::isnan(scale[j]));
      EXPECT_EQ(sum[j], 0);
      continue;
    }
    // Column j is (j+1)/8 * (1, 2, 3, 4, 5) * sign: max 5 (j+1)/8 -> q = 127 k / 5 rounded.
    EXPECT_FLOAT_EQ(scale[j], 5.0f * float(j + 1) / 8.0f / 127.0f);
    int32_t s = 0;
    for (int64_t kk = 0; kk < 8; ++kk) {
      const int8_t got = w[(j / 16) * 2 * 64 + (kk / 4) * 64 + (j % 16) * 4 + kk % 4];
      const int want = kk < k ? static_cast<int>(std::nearbyint(127.0f * float(kk + 1) / 5.0f)) * (j % 2 ? -1 : 1) : 0;
      EXPECT_EQ(got, want) << "k " << kk;
      s += got;
    }
    EXPECT_EQ(sum[j], s);
  }
  GemmStorage s;
  EXPECT_TRUE(parse_gemm_format("i8.panel16x4", &s));
  EXPECT_EQ(s, GemmStorage::i8);
  EXPECT_STREQ(gemm_format_name(GemmStorage::i8), "i8.panel16x4");
  EXPECT_EQ(gemm_packed_workspace(5, PackedB{nullptr, 70, 8, GemmStorage::f32}), 0u);
  EXPECT_EQ(gemm_packed_workspace(5, PackedB{nullptr, 70, 8, GemmStorage::i8}), 5u * 128 + 64);
}

TEST(GemmI8, EmptyDimensions) { expect_empty_dimensions(GemmStorage::i8); }

}  // namespace
