// Shared by the GEMM unit tests (test_gemm.cpp, test_gemm_q4.cpp, test_gemm_mx6.cpp): problems,
// random operands, the double-precision reference, a packed-GEMM runner and
// comparisons. Tolerances are explained in test_gemm.cpp.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <thread>
#include <vector>

#include "kernels/activation.hpp"
#include "kernels/cpu.hpp"
#include "kernels/gemm.hpp"
#include "kernels/parallel.hpp"

namespace qeff_test {

using qeff::kernels::Parallel;

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

}  // namespace qeff_test

namespace gemm_test {

using namespace qeff::kernels;
using qeff_test::ThreadParallel;

inline std::vector<float> random_vec(size_t n, uint32_t seed) {
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
inline Expected reference(const Problem &p, const std::vector<float> &a, const std::vector<float> &b,
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
inline std::vector<float> run_packed(const Problem &p, const std::vector<float> &a, const std::vector<float> &b,
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

inline void expect_close(const std::vector<float> &got, const Expected &e, const char *what) {
  ASSERT_EQ(got.size(), e.value.size());
  int bad = 0;
  for (size_t i = 0; i < got.size() && bad < 5; ++i)
    if (!(std::fabs(double(got[i]) - e.value[i]) <= e.bound[i])) {
      ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", expected " << e.value[i] << " +- "
                    << e.bound[i];
      ++bad;
    }
}

inline const Problem kProblems[] = {
    {1, 1, 1},
    {1, 7, 5, true},
    {3, 1, 17, false, true},
    {5, 13, 33, true, true, Activation::relu},
    {7, 300, 40, true, false, Activation::gelu_erf},  // K past one K block, N not a multiple of 16
    {17, 37, 100, false, true, Activation::silu},
    {13, 4096, 20},                                  // large K
    {1, 2048, 150, true, true, Activation::gelu_tanh},  // decode GEMV, ragged N
    {1, 300, 300, true, true},  // decode GEMV whose column blocks (10 panels serially) reach the 8- (and 4-) panel kernels
    {130, 64, 70, true, false, Activation::tanh},     // several row blocks
    {200, 96, 64},                                    // M past one row block
    {9, 200, 290, true, true, Activation::silu},  // 19 panels: 4-bit strips (8 panels) and 3 panels past them
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

// The narrow single-row kernels (CpuTuning::narrow_gemv) on or off for its
// scope (the detected tuning again after it).
class NarrowGemvGuard {
 public:
  explicit NarrowGemvGuard(bool narrow) {
    CpuTuning t;
    t.narrow_gemv = narrow;
    set_cpu_tuning(t);
  }
  ~NarrowGemvGuard() { reset_cpu_tuning(); }
};

// The documented int8 semantics (gemm.hpp), written out independently of the
// kernels: symmetric scales, round half to even, exact integer sums.
struct Quantized {
  std::vector<int8_t> q;  // rows x k
  std::vector<float> scale;
};

inline Quantized quantize_rows_ref(const float *x, int64_t rows, int64_t k, int64_t row_stride, int64_t elem_stride) {
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

// The epilogue the quantized paths apply to the product v of C[i][j]: bias,
// activation, residual, in f32 as gemm.hpp orders them.
inline float quantized_epilogue(const Problem &p, float v, const std::vector<float> &bias,
                                const std::vector<float> &res, int64_t i, int64_t j) {
  if (p.bias) v += bias[j];
  apply_activation(p.act, &v, &v, 1);
  if (p.residual) v += res[i * p.n + j];
  return v;
}

// Exactly what every path of a quantized storage must return, and a bound on its distance from
// the true product: with a = sa (qa + ea), b = sb (qb + eb), |ea|, |eb| <= 1/2,
// |ab - sa sb qa qb| <= sa sb (|qa| + |qb| + 1/2) / 2 per term.
struct QuantExpected {
  std::vector<float> exact;
  Expected vs_f32;
};

inline QuantExpected reference_i8(const Problem &p, const std::vector<float> &a, const std::vector<float> &b,
                        const std::vector<float> &bias, const std::vector<float> &res) {
  const Quantized qa = quantize_rows_ref(a.data(), p.m, p.k, p.k, 1);
  const Quantized qb = quantize_rows_ref(b.data(), p.n, p.k, 1, p.n);  // columns of B
  QuantExpected e;
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
      e.exact[i * p.n + j] = v = quantized_epilogue(p, v, bias, res, i, j);
      // Activations here are 1-Lipschitz (tanh, relu, silu and gelu up to ~1.13).
      e.vs_f32.bound[i * p.n + j] += 1.2 * double(qa.scale[i]) * qb.scale[j] * err + 1e-6 * std::fabs(v);
    }
  return e;
}

// The block-quantized storages (q4, mx6; gemm.hpp): each weight column's
// blocks of 32 k as integers q with a scale and a zero point (w ~ scale
// (q - zero)); column j, block b at [j * nb + b]; values at [j * k + kk].
inline constexpr int64_t kRefBlock = 32;

struct WeightBlocks {
  std::vector<int> q, zero;
  std::vector<float> scale;
};

// The finite range and largest magnitude of column j's values k0..k1-1 of a
// row-major K x N matrix b, and whether any is not finite.
struct BlockStats {
  float lo = 0, hi = 0, amax = 0;
  bool non_finite = false;
};

inline BlockStats block_stats(const std::vector<float> &b, int64_t n, int64_t j, int64_t k0, int64_t k1) {
  BlockStats s;
  for (int64_t kk = k0; kk < k1; ++kk) {
    const float v = b[kk * n + j];
    if (!std::isfinite(v)) {
      s.non_finite = true;
      continue;
    }
    s.lo = std::min(s.lo, v), s.hi = std::max(s.hi, v), s.amax = std::max(s.amax, std::fabs(v));
  }
  return s;
}

// Quantizes every group of `group` k (a multiple of 32) of every column j of
// the row-major K x N matrix b: fn(stats, j, k0, k1, scale, zero, q) sets the
// group's scale and zero point and q[kk] for kk in [k0, k1) (all start at 0)
// from b[kk n + j]; each block of 32 in the group gets its scale and zero.
template <class Fn>
WeightBlocks quantize_each_block(const std::vector<float> &b, int64_t k, int64_t n, Fn fn,
                                 int64_t group = kRefBlock) {
  const int64_t nb = (k + kRefBlock - 1) / kRefBlock;
  WeightBlocks w;
  w.q.assign(n * k, 0);
  w.zero.assign(n * nb, 0);
  w.scale.assign(n * nb, 0.0f);
  for (int64_t j = 0; j < n; ++j)
    for (int64_t k0 = 0; k0 < k; k0 += group) {
      const int64_t k1 = std::min(k, k0 + group);
      float scale = 0.0f;
      int zero = 0;
      fn(block_stats(b, n, j, k0, k1), j, k0, k1, scale, zero, &w.q[j * k]);
      for (int64_t blk = k0 / kRefBlock; blk * kRefBlock < k1; ++blk) {
        w.scale[j * nb + blk] = scale;
        w.zero[j * nb + blk] = zero;
      }
    }
  return w;
}

// Exactly what every path of a block storage must return for weights w
// (activation blocks of 32 quantized as int8 rows of their own, exact integer
// sums, one fma per block), and the distance from the true product that the
// quantized values imply (each term's error computed from the dequantized
// operands, plus float accumulation slack).
inline QuantExpected reference_blocks(const Problem &p, const std::vector<float> &a, const std::vector<float> &b,
                                      const std::vector<float> &bias, const std::vector<float> &res,
                                      const WeightBlocks &w) {
  constexpr int64_t kBlock = kRefBlock;
  const int64_t nb = (p.k + kBlock - 1) / kBlock;
  // Activation blocks: each quantized as an int8 row of its own.
  std::vector<int8_t> qa(p.m * p.k);
  std::vector<float> sa(p.m * nb);
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t blk = 0; blk < nb; ++blk) {
      const int64_t k0 = blk * kBlock, len = std::min(kBlock, p.k - k0);
      const Quantized q = quantize_rows_ref(a.data() + i * p.k + k0, 1, len, len, 1);
      std::copy(q.q.begin(), q.q.end(), qa.begin() + i * p.k + k0);
      sa[i * nb + blk] = q.scale[0];
    }
  QuantExpected e;
  e.vs_f32 = reference(p, a, b, bias, res);
  e.exact.resize(p.m * p.n);
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t j = 0; j < p.n; ++j) {
      float acc = 0.0f;
      double err = 0, mag = 0;
      for (int64_t blk = 0; blk < nb; ++blk) {
        const int64_t k0 = blk * kBlock, k1 = std::min(p.k, k0 + kBlock);
        int32_t s = 0, asum = 0;
        const float sw = w.scale[j * nb + blk], sx = sa[i * nb + blk];
        const int z = w.zero[j * nb + blk];
        for (int64_t kk = k0; kk < k1; ++kk) {
          const int x = qa[i * p.k + kk], y = w.q[j * p.k + kk];
          s += x * y;
          asum += x;
          const double av = a[i * p.k + kk], wv = b[kk * p.n + j];
          const double aq = double(sx) * x, wq = double(sw) * (y - z);
          err += std::fabs(av - aq) * std::fabs(wv) + std::fabs(aq) * std::fabs(wv - wq);
          mag += std::fabs(aq * wq);
        }
        acc = std::fma(static_cast<float>(s - z * asum), sw * sx, acc);
      }
      float v = acc;
      e.exact[i * p.n + j] = v = quantized_epilogue(p, v, bias, res, i, j);
      // Activations here are 1-Lipschitz (tanh, relu, silu and gelu up to ~1.13).
      e.vs_f32.bound[i * p.n + j] += 1.2 * err + 1e-6 * double(nb + 1) * mag + 1e-6 * std::fabs(v);
    }
  return e;
}

// Column j of C after rows of A were set to: 1 and 2 a NaN / an infinity
// (NaN throughout), 3 zeros and 4 tiny values (exactly zero); rows 0 and 5
// untouched (as in `clean`, the product before the changes).
inline void expect_special_rows(const std::vector<float> &c, const std::vector<float> &clean, int64_t n, int64_t j) {
  EXPECT_EQ(c[0 * n + j], clean[0 * n + j]);
  EXPECT_TRUE(std::isnan(c[1 * n + j]));
  EXPECT_TRUE(std::isnan(c[2 * n + j]));
  EXPECT_EQ(c[3 * n + j], 0.0f);
  EXPECT_EQ(c[4 * n + j], 0.0f);
  EXPECT_EQ(c[5 * n + j], clean[5 * n + j]);
}

inline void expect_bitwise(const std::vector<float> &got, const std::vector<float> &want, const char *what) {
  ASSERT_EQ(got.size(), want.size());
  int bad = 0;
  for (size_t i = 0; i < got.size() && bad < 5; ++i)
    if (std::memcmp(&got[i], &want[i], 4) != 0 && !(std::isnan(got[i]) && std::isnan(want[i]))) {
      ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", expected exactly " << want[i];
      ++bad;
    }
}

// Every problem gives the same bits on 1, 2 and 3 threads (and, with
// `transposed`, from a transposed packing too).
inline void expect_partitions_identical(GemmStorage st, uint32_t seed, bool transposed) {
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

// Every ISA path of a quantized storage gives exactly `reference`'s values on
// every problem, and they are within its bound of the true product.
template <class Reference>
void expect_every_isa_exact(GemmStorage st, uint32_t seed, Reference reference) {
  SerialParallel serial;
  for (Isa isa : kAllIsas) {
    if (!isa_supported(isa)) {
      std::printf("[   NOTE   ] %s not supported here; not run\n", isa_name(isa));
      continue;
    }
    IsaGuard g(isa);
    uint32_t s = seed;
    for (const Problem &p : kProblems) {
      Operands o(p, s += 10);
      const QuantExpected e = reference(p, o.a, o.b, o.bias, o.res);
      for (bool narrow : {false, true}) {  // the wide and the narrow single-row kernels
        if (narrow && p.m != 1) continue;    // only a single row runs them
        NarrowGemvGuard tuning(narrow);
        SCOPED_TRACE(testing::Message() << isa_name(isa) << " " << gemm_format_name(st) << " " << p.m << "x" << p.k
                                        << "x" << p.n << ", narrow gemv " << narrow);
        const auto got = run_packed(p, o.a, o.b, o.bias, o.res, st, serial);
        expect_bitwise(got, e.exact, "exact");
        expect_close(got, e.vs_f32, "vs f32");
      }
    }
  }
}

// K = 0 gives a zero product to which the epilogue (bias) still applies;
// M = 0 and N = 0 write and read nothing.
inline void expect_empty_dimensions(GemmStorage st) {
  SerialParallel serial;
  Problem p{2, 0, 3, true};
  Operands o(p, 11);
  auto c = run_packed(p, o.a, o.b, o.bias, o.res, st, serial);
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j) EXPECT_EQ(c[i * 3 + j], o.bias[j]);
  gemm_packed(0, nullptr, 4, PackedB{nullptr, 4, 8, st}, nullptr, 8, {}, serial);
  gemm_packed(3, nullptr, 4, PackedB{nullptr, 4, 0, st}, nullptr, 0, {}, serial);
}

}  // namespace gemm_test
