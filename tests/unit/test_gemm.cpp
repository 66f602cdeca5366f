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

using namespace qeff::kernels;

namespace qeff_test {

// A Parallel that runs each range on its own std::thread (the caller takes
// range 0), splitting [0, n) into min(n, threads) near-equal ranges. Also
// shared with test_linear_ops.cpp.
class ThreadParallel final : public Parallel {
 public:
  explicit ThreadParallel(int threads) : threads_(threads) {}
  int num_threads() const override { return threads_; }
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)> &fn) override {
    if (n <= 0) return;
    calls.push_back(n);
    const int64_t parts = std::min<int64_t>(n, threads_);
    std::vector<std::thread> ts;
    for (int64_t i = 1; i < parts; ++i) ts.emplace_back([&, i] { fn(n * i / parts, n * (i + 1) / parts); });
    fn(0, n / parts);
    for (auto &t : ts) t.join();
  }
  std::vector<int64_t> calls;  // n of every parallel_for

 private:
  int threads_;
};

std::unique_ptr<Parallel> make_thread_parallel(int threads) { return std::make_unique<ThreadParallel>(threads); }

}  // namespace qeff_test

namespace {

using qeff_test::ThreadParallel;

std::vector<float> random_vec(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float &x : v) x = d(rng);
  return v;
}

struct Problem {
  int64_t m, k, n;
  bool bias = false, residual = false;
  Activation act = Activation::none;
};

struct Expected {
  std::vector<float> value;
  std::vector<double> bound;  // allowed absolute error per element
};

// Double-precision reference of epilogue(A B); b is K x N.
Expected reference(const Problem &p, const std::vector<float> &a, const std::vector<float> &b,
                   const std::vector<float> &bias, const std::vector<float> &res) {
  Expected e;
  e.value.resize(p.m * p.n);
  e.bound.resize(p.m * p.n);
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t j = 0; j < p.n; ++j) {
      double s = 0, mag = 0;
      for (int64_t kk = 0; kk < p.k; ++kk) {
        s += double(a[i * p.k + kk]) * b[kk * p.n + j];
        mag += std::fabs(double(a[i * p.k + kk]) * b[kk * p.n + j]);
      }
      if (p.bias) s += bias[j], mag += std::fabs(bias[j]);
      float v = static_cast<float>(s);
      apply_activation(p.act, &v, &v, 1);
      if (p.residual) v += res[i * p.n + j];
      e.value[i * p.n + j] = v;
      e.bound[i * p.n + j] = 1e-6 * std::sqrt(double(p.k) + 1) * (mag + 1e-3) + 1e-6 * std::fabs(v);
    }
  return e;
}

// Runs the packed GEMM of p with the given storage on `par`.
std::vector<float> run_packed(const Problem &p, const std::vector<float> &a, const std::vector<float> &b,
                              const std::vector<float> &bias, const std::vector<float> &res, GemmStorage st,
                              Parallel &par, bool transposed_pack = false) {
  std::vector<uint8_t> packed(gemm_packed_bytes(p.k, p.n, st));
  if (transposed_pack) {
    std::vector<float> bt(p.k * p.n);
    for (int64_t kk = 0; kk < p.k; ++kk)
      for (int64_t j = 0; j < p.n; ++j) bt[j * p.k + kk] = b[kk * p.n + j];
    gemm_pack(bt.data(), p.k, true, p.k, p.n, st, packed.data());
  } else {
    gemm_pack(b.data(), p.n, false, p.k, p.n, st, packed.data());
  }
  GemmEpilogue ep;
  ep.bias = p.bias ? bias.data() : nullptr;
  ep.activation = p.act;
  ep.residual = p.residual ? res.data() : nullptr;
  ep.ldr = p.n;
  std::vector<float> c(p.m * p.n, std::nanf(""));
  const PackedB pb{packed.data(), p.k, p.n, st};
  std::vector<uint8_t> ws(gemm_packed_workspace(p.m, pb) + 64, 0xcd);  // poisoned
  void *aligned = ws.data() + (64 - reinterpret_cast<uintptr_t>(ws.data()) % 64) % 64;
  gemm_packed(p.m, a.data(), p.k, pb, c.data(), p.n, ep, par, aligned);
  return c;
}

void expect_close(const std::vector<float> &got, const Expected &e, const char *what) {
  ASSERT_EQ(got.size(), e.value.size());
  int bad = 0;
  for (size_t i = 0; i < got.size() && bad < 5; ++i)
    if (!(std::fabs(double(got[i]) - e.value[i]) <= e.bound[i])) {
      ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", expected " << e.value[i] << " +- "
                    << e.bound[i];
      ++bad;
    }
}

const Problem kProblems[] = {
    {1, 1, 1},
    {1, 7, 5, true},
    {3, 1, 17, false, true},
    {5, 13, 33, true, true, Activation::relu},
    {7, 300, 40, true, false, Activation::gelu_erf},  // K past one K block, N not a multiple of 16
    {17, 37, 100, false, true, Activation::silu},
    {13, 4096, 20},                                  // large K
    {1, 2048, 150, true, true, Activation::gelu_tanh},  // decode GEMV, ragged N
    {130, 64, 70, true, false, Activation::tanh},     // several row blocks
    {200, 96, 64},                                    // M past one row block
};

struct Operands {
  std::vector<float> a, b, bias, res;
  explicit Operands(const Problem &p, uint32_t seed)
      : a(random_vec(p.m * p.k, seed)),
        b(random_vec(p.k * p.n, seed + 1)),
        bias(random_vec(p.n, seed + 2)),
        res(random_vec(p.m * p.n, seed + 3)) {}
};

class IsaGuard {
 public:
  explicit IsaGuard(Isa isa) { force_isa(isa); }
  ~IsaGuard() { reset_isa(); }
};

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
      // bf16 storage too: the same rounded weights on both paths.
      {
        IsaGuard g(Isa::portable);
        portable = run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::bf16, serial);
      }
      {
        IsaGuard g(isa);
        simd = run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::bf16, serial);
      }
      e.value = portable;
      expect_close(simd, e, "bf16");
    }
  }
}

TEST(Gemm, Bf16StorageMatchesReferenceWithRoundedWeights) {
  SerialParallel serial;
  uint32_t seed = 300;
  for (const Problem &p : kProblems) {
    Operands o(p, seed += 10);
    std::vector<float> rounded = o.b;
    for (float &x : rounded) x = bf16_to_f32(f32_to_bf16(x));
    SCOPED_TRACE(testing::Message() << p.m << "x" << p.k << "x" << p.n);
    expect_close(run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::bf16, serial),
                 reference(p, o.a, rounded, o.bias, o.res), "bf16");
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
  EXPECT_FALSE(parse_gemm_format("f32.panel8", &s));
}

TEST(Gemm, TransposedPackingGivesTheSameProduct) {
  SerialParallel serial;
  Problem p{9, 40, 33, true};
  Operands o(p, 7);
  EXPECT_EQ(run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::f32, serial),
            run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::f32, serial, true));
}

// Every problem gives the same bits on 1, 2 and 3 threads (and, with
// `transposed`, from a transposed packing too).
void expect_partitions_identical(GemmStorage st, uint32_t seed, bool transposed) {
  SerialParallel serial;
  for (const Problem &p : kProblems) {
    Operands o(p, seed += 10);
    SCOPED_TRACE(testing::Message() << gemm_format_name(st) << " " << p.m << "x" << p.k << "x" << p.n);
    const auto one = run_packed(p, o.a, o.b, o.bias, o.res, st, serial);
    if (transposed) {
      EXPECT_EQ(run_packed(p, o.a, o.b, o.bias, o.res, st, serial, true), one);
    }
    for (int t : {2, 3}) {
      ThreadParallel par(t);
      EXPECT_EQ(run_packed(p, o.a, o.b, o.bias, o.res, st, par), one) << t << " threads";
    }
  }
}

TEST(Gemm, PartitionsGiveIdenticalResults) { expect_partitions_identical(GemmStorage::f32, 500, false); }

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

TEST(Gemm, EmptyDimensions) {
  SerialParallel serial;
  // K = 0: the product is zero, the epilogue still applies.
  Problem p{2, 0, 3, true};
  Operands o(p, 11);
  auto c = run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::f32, serial);
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j) EXPECT_EQ(c[i * 3 + j], o.bias[j]);
  // M = 0 or N = 0: nothing is written and nothing is read.
  gemm_packed(0, nullptr, 4, PackedB{nullptr, 4, 8, GemmStorage::f32}, nullptr, 8, {}, serial);
  gemm_packed(3, nullptr, 4, PackedB{nullptr, 4, 0, GemmStorage::f32}, nullptr, 0, {}, serial);
}

// ---- int8 (i8.panel16x4)

// The documented int8 semantics (gemm.hpp), written out independently of the
// kernels: symmetric scales, round half to even, exact integer sums.
struct Quantized {
  std::vector<int8_t> q;  // rows x k
  std::vector<float> scale;
};

Quantized quantize_rows_ref(const float *x, int64_t rows, int64_t k, int64_t row_stride, int64_t elem_stride) {
  Quantized out;
  out.q.assign(rows * k, 0);
  out.scale.assign(rows, 0.0f);
  for (int64_t r = 0; r < rows; ++r) {
    float amax = 0;
    bool bad = false;
    for (int64_t i = 0; i < k; ++i) {
      const float v = x[r * row_stride + i * elem_stride];
      if (!std::isfinite(v)) bad = true;
      else amax = std::max(amax, std::fabs(v));
    }
    if (bad) {
      out.scale[r] = std::nanf("");
      continue;
    }
    if (amax < kGemmI8MinScale) continue;
    out.scale[r] = amax / 127.0f;
    const float inv = 127.0f / amax;
    for (int64_t i = 0; i < k; ++i)
      out.q[r * k + i] = static_cast<int8_t>(std::clamp(std::nearbyint(x[r * row_stride + i * elem_stride] * inv), -127.0f, 127.0f));
  }
  return out;
}

// Exactly what every int8 path must return, and a bound on its distance from
// the true product: with a = sa (qa + ea), b = sb (qb + eb), |ea|, |eb| <= 1/2,
// |ab - sa sb qa qb| <= sa sb (|qa| + |qb| + 1/2) / 2 per term.
struct I8Expected {
  std::vector<float> exact;
  Expected vs_f32;
};

I8Expected reference_i8(const Problem &p, const std::vector<float> &a, const std::vector<float> &b,
                        const std::vector<float> &bias, const std::vector<float> &res) {
  const Quantized qa = quantize_rows_ref(a.data(), p.m, p.k, p.k, 1);
  const Quantized qb = quantize_rows_ref(b.data(), p.n, p.k, 1, p.n);  // columns of B
  I8Expected e;
  e.vs_f32 = reference(p, a, b, bias, res);
  e.exact.resize(p.m * p.n);
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t j = 0; j < p.n; ++j) {
      int32_t acc = 0;
      double err = 0;
      for (int64_t kk = 0; kk < p.k; ++kk) {
        const int x = qa.q[i * p.k + kk], y = qb.q[j * p.k + kk];
        acc += x * y;
        err += (std::abs(x) + std::abs(y) + 0.5) / 2;
      }
      float v = static_cast<float>(acc) * (qa.scale[i] * qb.scale[j]);
      if (p.bias) v += bias[j];
      apply_activation(p.act, &v, &v, 1);
      if (p.residual) v += res[i * p.n + j];
      e.exact[i * p.n + j] = v;
      // Activations here are 1-Lipschitz (tanh, relu, silu and gelu up to ~1.13).
      e.vs_f32.bound[i * p.n + j] += 1.2 * double(qa.scale[i]) * qb.scale[j] * err + 1e-6 * std::fabs(v);
    }
  return e;
}

void expect_bitwise(const std::vector<float> &got, const std::vector<float> &want, const char *what) {
  ASSERT_EQ(got.size(), want.size());
  int bad = 0;
  for (size_t i = 0; i < got.size() && bad < 5; ++i)
    if (std::memcmp(&got[i], &want[i], 4) != 0 && !(std::isnan(got[i]) && std::isnan(want[i]))) {
      ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", expected exactly " << want[i];
      ++bad;
    }
}

TEST(GemmI8, EveryIsaComputesTheDocumentedQuantizationExactly) {
  SerialParallel serial;
  for (Isa isa : {Isa::portable, Isa::avx2, Isa::avx512}) {
    if (!isa_supported(isa)) {
      std::printf("[   NOTE   ] %s not supported here; not run\n", isa_name(isa));
      continue;
    }
    IsaGuard g(isa);
    uint32_t seed = 700;
    for (const Problem &p : kProblems) {
      Operands o(p, seed += 10);
      SCOPED_TRACE(testing::Message() << isa_name(isa) << " " << p.m << "x" << p.k << "x" << p.n);
      const I8Expected e = reference_i8(p, o.a, o.b, o.bias, o.res);
      const auto got = run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::i8, serial);
      expect_bitwise(got, e.exact, "int8");
      expect_close(got, e.vs_f32, "int8 vs f32");
    }
  }
}

TEST(GemmI8, PartitionsAndTransposedPackingGiveIdenticalResults) {
  expect_partitions_identical(GemmStorage::i8, 900, true);
}

// A row of A with a NaN or an infinity is NaN throughout; a zero (or tiny)
// row is exactly zero; the other rows do not change.
TEST(GemmI8, NonFiniteAndZeroRowsStayInTheirRow) {
  SerialParallel serial;
  for (Isa isa : {Isa::portable, Isa::avx2}) {
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
      EXPECT_EQ(c[0 * p.n + j], clean[0 * p.n + j]);
      EXPECT_TRUE(std::isnan(c[1 * p.n + j]));
      EXPECT_TRUE(std::isnan(c[2 * p.n + j]));
      EXPECT_EQ(c[3 * p.n + j], 0.0f);
      EXPECT_EQ(c[4 * p.n + j], 0.0f);
      EXPECT_EQ(c[5 * p.n + j], clean[5 * p.n + j]);
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

TEST(GemmI8, EmptyDimensions) {
  SerialParallel serial;
  Problem p{2, 0, 3, true};  // K = 0: zero product, the bias still applies
  Operands o(p, 11);
  auto c = run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::i8, serial);
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j) EXPECT_EQ(c[i * 3 + j], o.bias[j]);
  gemm_packed(0, nullptr, 4, PackedB{nullptr, 4, 8, GemmStorage::i8}, nullptr, 8, {}, serial);
}

}  // namespace
