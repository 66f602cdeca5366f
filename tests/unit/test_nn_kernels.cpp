// The nn kernels (kernels/softmax, norm, rotary, attention, kv_cache, pool)
// and the activations: the portable path against naive double-precision
// references written here, and every ISA path this machine runs (forced with
// force_isa) against the portable one.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "kernels/activation.hpp"
#include "kernels/attention.hpp"
#include "kernels/norm.hpp"
#include "kernels/rotary.hpp"
#include "kernels/rowops.hpp"
#include "kernels/softmax.hpp"
#include "test_nn_support.hpp"

namespace {

using namespace qeff::kernels;
using nn_test::IsaScope;
using nn_test::random_floats;
using nn_test::ThreadParallel;
using nn_test::ulp_distance;
using nn_test::Workspace;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

void expect_close(const std::vector<float> &got, const std::vector<double> &want, double tol, const std::string &what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::fabs(got[i] - want[i]) / std::max(1.0, std::fabs(want[i]));
    if (!(err <= worst)) worst = err, at = i;  // NaN counts as worst
  }
  EXPECT_LE(worst, tol) << what << ": element " << at << " is " << got[at] << ", expected " << want[at];
}

void expect_close(const std::vector<float> &got, const std::vector<float> &want, double tol, const std::string &what) {
  expect_close(got, std::vector<double>(want.begin(), want.end()), tol, what);
}

// ---- activations ---------------------------------------------------------------

std::vector<float> activation_inputs() {
  std::vector<float> x;
  for (int i = -200000; i <= 200000; ++i) x.push_back(static_cast<float>(i) * 1.5e-4f);  // [-30, 30]
  for (float m = 1e-30f; m < 1.0f; m *= 1.01f) x.push_back(m), x.push_back(-m);
  for (float v : {0.0f, -0.0f, kInf, -kInf, kNaN, 88.0f, 88.7f, 89.0f, 100.0f, -87.0f, -100.0f, -103.9f, -104.0f,
                  -110.0f, 1e30f, -1e30f, 0.625f, -0.625f, 1.0f, -1.0f, 4.0f, -4.0f, 3.999f, 0.9999f})
    x.push_back(v);
  return x;
}

struct ActivationError {
  double max_ulp = 0;   // over every input
  double max_abs = 0;   // absolute error over every input
};

ActivationError measure(Activation a, Isa isa, const std::vector<float> &x) {
  std::vector<float> ref(x.size()), got(x.size());
  {
    IsaScope s(Isa::portable);
    apply_activation(a, x.data(), ref.data(), static_cast<int64_t>(x.size()));
  }
  {
    IsaScope s(isa);
    apply_activation(a, x.data(), got.data(), static_cast<int64_t>(x.size()));
  }
  ActivationError e;
  for (size_t i = 0; i < x.size(); ++i) {
    e.max_ulp = std::max(e.max_ulp, ulp_distance(got[i], ref[i]));
    if (std::isfinite(ref[i])) e.max_abs = std::max(e.max_abs, static_cast<double>(std::fabs(got[i] - ref[i])));
  }
  return e;
}

TEST(NnKernels, ActivationsMatchPortableWithinDocumentedError) {
  // Bounds documented in docs/kernels.md (## Activations). GELU's relative
  // error is unbounded where 1 + erf cancels (x << 0, on the std:: path too),
  // so it is bounded absolutely.
  struct Bound {
    Activation a;
    double ulp, abs;
  };
  const Bound bounds[] = {
      {Activation::relu, 0, 0},           {Activation::exp, 2, kInf},          {Activation::tanh, 3, 2.4e-7},
      {Activation::erf, 3, 2.4e-7},       {Activation::sigmoid, 5, 2.4e-7},    {Activation::silu, 5, 2e-6},
      {Activation::gelu_erf, kInf, 1e-6}, {Activation::gelu_tanh, kInf, 1e-6},
  };
  const std::vector<float> x = activation_inputs();
  for (Isa isa : nn_test::supported_isas()) {
    if (isa == Isa::portable) continue;
    for (const Bound &b : bounds) {
      ActivationError e = measure(b.a, isa, x);
      std::printf("[ activation ] %-7s %-10s max %.0f ulp, max abs %.3g\n", isa_name(isa), activation_name(b.a),
                  e.max_ulp, e.max_abs);
      EXPECT_LE(e.max_ulp, b.ulp) << isa_name(isa) << " " << activation_name(b.a);
      EXPECT_LE(e.max_abs, b.abs) << isa_name(isa) << " " << activation_name(b.a);
    }
  }
}

TEST(NnKernels, GeluErfKeepsItsDigitsForNegativeInputs) {
  // The vector GELU is x Phi(x) with Phi from erfc (simd.hpp), so it stays
  // relatively accurate where x (1 + erf(x / sqrt 2)) / 2 cancels (x << 0),
  // and its specials are the formula's (the portable path is that formula).
  for (Isa isa : nn_test::supported_isas()) {
    IsaScope s(isa);
    if (isa != Isa::portable) {
      std::vector<float> x;
      for (double v = -12.5; v <= 0.0; v += 1.0 / 1024) x.push_back(static_cast<float>(v));
      std::vector<float> y(x.size());
      apply_activation(Activation::gelu_erf, x.data(), y.data(), static_cast<int64_t>(x.size()));
      double worst = 0;
      for (size_t i = 0; i < x.size(); ++i) {
        const double v = x[i], want = 0.5 * v * std::erfc(-v / std::sqrt(2.0));
        if (want != 0) worst = std::max(worst, std::fabs(y[i] - want) / std::fabs(want));
      }
      std::printf("[ gelu_erf ] %-10s max relative error on [-12.5, 0]: %.3g\n", isa_name(isa), worst);
      EXPECT_LE(worst, 2e-5) << isa_name(isa);  // the rounding of -x^2 / 2, amplified by e^
    }
    std::vector<float> x = {kNaN, kInf, -kInf, -0.0f, 0.0f, -30.0f, 100.0f}, y(x.size());
    apply_activation(Activation::gelu_erf, x.data(), y.data(), static_cast<int64_t>(x.size()));
    EXPECT_TRUE(std::isnan(y[0])) << isa_name(isa);
    EXPECT_EQ(y[1], kInf) << isa_name(isa);
    EXPECT_TRUE(std::isnan(y[2])) << isa_name(isa);  // -inf * 0, as ONNX Runtime and PyTorch
    EXPECT_TRUE(y[3] == 0.0f && std::signbit(y[3])) << isa_name(isa);
    EXPECT_TRUE(y[4] == 0.0f && !std::signbit(y[4])) << isa_name(isa);
    EXPECT_EQ(y[5], 0.0f) << isa_name(isa);
    EXPECT_EQ(y[6], 100.0f) << isa_name(isa);
  }
}

TEST(NnKernels, ActivationSpecialValuesAndAliasing) {
  for (Isa isa : nn_test::supported_isas()) {
    IsaScope s(isa);
    std::vector<float> x = {kNaN, kInf, -kInf, 0.0f, 100.0f, -200.0f, 1.0f};
    std::vector<float> y(x.size());
    apply_activation(Activation::exp, x.data(), y.data(), 7);
    EXPECT_TRUE(std::isnan(y[0]));
    EXPECT_EQ(y[1], kInf);
    EXPECT_EQ(y[2], 0.0f);
    EXPECT_EQ(y[3], 1.0f);
    EXPECT_EQ(y[4], kInf);
    EXPECT_EQ(y[5], 0.0f);
    apply_activation(Activation::tanh, x.data(), y.data(), 7);
    EXPECT_TRUE(std::isnan(y[0]));
    EXPECT_EQ(y[1], 1.0f);
    EXPECT_EQ(y[2], -1.0f);
    apply_activation(Activation::erf, x.data(), y.data(), 7);
    EXPECT_TRUE(std::isnan(y[0]));
    EXPECT_EQ(y[1], 1.0f);
    EXPECT_EQ(y[2], -1.0f);
    apply_activation(Activation::sigmoid, x.data(), y.data(), 7);
    EXPECT_EQ(y[1], 1.0f);
    EXPECT_EQ(y[2], 0.0f);
    // In place, odd lengths (tails of every vector width).
    for (int64_t n : {1, 7, 9, 17, 33}) {
      std::vector<float> v = random_floats(static_cast<size_t>(n), 7, -3, 3), want(v.size());
      for (size_t i = 0; i < v.size(); ++i) want[i] = v[i] > 0 ? v[i] : 0.0f;
      apply_activation(Activation::relu, v.data(), v.data(), n);
      EXPECT_EQ(v, want) << isa_name(isa) << " n=" << n;
    }
  }
}

// ---- softmax ---------------------------------------------------------------------

std::vector<double> softmax_ref(const std::vector<float> &x, int64_t outer, int64_t n, int64_t inner, bool log) {
  std::vector<double> y(x.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < inner; ++c) {
      auto at = [&](int64_t i) { return (o * n + i) * inner + c; };
      double m = -kInf, s = 0;
      for (int64_t i = 0; i < n; ++i) m = std::max(m, static_cast<double>(x[at(i)]));
      for (int64_t i = 0; i < n; ++i) s += std::exp(x[at(i)] - m);
      for (int64_t i = 0; i < n; ++i) y[at(i)] = log ? x[at(i)] - m - std::log(s) : std::exp(x[at(i)] - m) / s;
    }
  return y;
}

TEST(NnKernels, SoftmaxRowsAndStridedAxisEveryIsa) {
  SerialParallel serial;
  ThreadParallel two(2);
  struct Case {
    int64_t outer, n, inner;
  };
  for (Case c : {Case{3, 1, 1}, Case{5, 17, 1}, Case{2, 100, 1}, Case{4, 33, 3}, Case{2, 9, 70}, Case{1, 1000, 1}})
    for (bool log : {false, true}) {
      std::vector<float> x = random_floats(static_cast<size_t>(c.outer * c.n * c.inner), 11, -8, 8);
      const std::vector<double> want = softmax_ref(x, c.outer, c.n, c.inner, log);
      std::vector<float> portable(x.size());
      {
        IsaScope s(Isa::portable);
        softmax(x.data(), portable.data(), c.outer, c.n, c.inner, log, serial);
      }
      const std::string what = "outer " + std::to_string(c.outer) + " n " + std::to_string(c.n) + " inner " +
                               std::to_string(c.inner) + (log ? " log" : "");
      expect_close(portable, want, 1e-6, "portable " + what);
      for (Isa isa : nn_test::supported_isas()) {
        IsaScope s(isa);
        std::vector<float> y(x.size()), inplace = x;
        softmax(x.data(), y.data(), c.outer, c.n, c.inner, log, serial);
        expect_close(y, portable, 2e-6, std::string(isa_name(isa)) + " " + what);
        softmax(inplace.data(), inplace.data(), c.outer, c.n, c.inner, log, two);
        EXPECT_EQ(inplace, y) << isa_name(isa) << " in place, 2 threads, " << what;
      }
    }
}

TEST(NnKernels, SoftmaxOfAllMinusInfinityIsNaN) {
  SerialParallel serial;
  for (Isa isa : nn_test::supported_isas()) {
    IsaScope s(isa);
    std::vector<float> x(20, -kInf), y(20);
    softmax(x.data(), y.data(), 1, 20, 1, false, serial);
    for (float v : y) EXPECT_TRUE(std::isnan(v)) << isa_name(isa);
    // Large equal values: exactly uniform.
    std::vector<float> big(20, 3e38f);
    softmax(big.data(), y.data(), 1, 20, 1, false, serial);
    for (float v : y) EXPECT_FLOAT_EQ(v, 0.05f) << isa_name(isa);
  }
}

// ---- norms -------------------------------------------------------------------------

TEST(NnKernels, LayerNormAndRmsNormEveryIsa) {
  SerialParallel serial;
  ThreadParallel two(2);
  for (int64_t n : {1, 5, 16, 31, 64, 257}) {
    const int64_t rows = 7;
    // An offset mean checks the two-pass variance.
    std::vector<float> x = random_floats(static_cast<size_t>(rows * n), 3, 99.0f, 101.0f);
    std::vector<float> w = random_floats(static_cast<size_t>(n), 4, 0.5f, 1.5f), b = random_floats(static_cast<size_t>(n), 5);
    const float eps = 1e-5f;
    std::vector<double> ln(x.size()), rms(x.size()), mean(rows), inv(rows);
    for (int64_t r = 0; r < rows; ++r) {
      double m = 0, v = 0, sq = 0;
      for (int64_t i = 0; i < n; ++i) m += x[r * n + i], sq += static_cast<double>(x[r * n + i]) * x[r * n + i];
      m /= n;
      for (int64_t i = 0; i < n; ++i) v += (x[r * n + i] - m) * (x[r * n + i] - m);
      mean[r] = m;
      inv[r] = 1 / std::sqrt(v / n + eps);
      for (int64_t i = 0; i < n; ++i) {
        ln[r * n + i] = (x[r * n + i] - m) * inv[r] * w[i] + b[i];
        rms[r * n + i] = x[r * n + i] / std::sqrt(sq / n + eps) * w[i];
      }
    }
    std::vector<float> portable_ln(x.size()), portable_rms(x.size());
    for (Isa isa : nn_test::supported_isas()) {
      IsaScope s(isa);
      std::vector<float> y(x.size()), ym(rows), yi(rows), yr(x.size());
      layer_norm(x.data(), w.data(), b.data(), y.data(), ym.data(), yi.data(), rows, n, eps, serial);
      rms_norm(x.data(), w.data(), yr.data(), rows, n, eps, serial);
      const std::string what = std::string(isa_name(isa)) + " n=" + std::to_string(n);
      // Rows of 100 +- 1: float rounding of x - mean bounds the agreement.
      expect_close(y, ln, 2e-4, "layer_norm " + what);
      expect_close(ym, mean, 1e-6, "mean " + what);
      expect_close(yi, inv, 1e-4, "inv_std " + what);
      expect_close(yr, rms, 2e-6, "rms_norm " + what);
      if (isa == Isa::portable) {
        portable_ln = y;
        portable_rms = yr;
      } else {
        expect_close(y, portable_ln, 2e-4, "layer_norm vs portable " + what);
        expect_close(yr, portable_rms, 2e-6, "rms_norm vs portable " + what);
      }
      std::vector<float> inplace = x;
      rms_norm(inplace.data(), w.data(), inplace.data(), rows, n, eps, two);
      EXPECT_EQ(inplace, yr) << "rms_norm in place, 2 threads " << what;
      inplace = x;
      layer_norm(inplace.data(), w.data(), nullptr, inplace.data(), nullptr, nullptr, rows, n, eps, two);
      std::vector<float> nob(x.size());
      layer_norm(x.data(), w.data(), nullptr, nob.data(), nullptr, nullptr, rows, n, eps, serial);
      EXPECT_EQ(inplace, nob) << "layer_norm without bias, in place " << what;
    }
  }
}

// ---- rotary --------------------------------------------------------------------------

TEST(NnKernels, RotaryEveryIsaSharedAndPerBatchTables) {
  SerialParallel serial;
  ThreadParallel two(2);
  for (int64_t dim : {2, 6, 16, 34, 128})
    for (int64_t cb : {1, 2}) {
      const int64_t batch = 2, heads = 3, seq = 5, h = dim / 2;
      std::vector<float> x = random_floats(static_cast<size_t>(batch * heads * seq * dim), 8);
      std::vector<float> cs = random_floats(static_cast<size_t>(cb * seq * dim), 9),
                         sn = random_floats(static_cast<size_t>(cb * seq * dim), 10);
      std::vector<double> want(x.size());
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t hd = 0; hd < heads; ++hd)
          for (int64_t s = 0; s < seq; ++s)
            for (int64_t j = 0; j < dim; ++j) {
              const int64_t row = ((b * heads + hd) * seq + s) * dim, crow = ((cb == 1 ? 0 : b) * seq + s) * dim;
              const double rot = j < h ? -x[row + j + h] : x[row + j - h];
              want[row + j] = x[row + j] * static_cast<double>(cs[crow + j]) + rot * sn[crow + j];
            }
      for (Isa isa : nn_test::supported_isas()) {
        IsaScope s(isa);
        std::vector<float> y(x.size()), inplace = x;
        rotary(x.data(), cs.data(), sn.data(), y.data(), batch, heads, seq, dim, cb, serial);
        expect_close(y, want, 1e-6, std::string(isa_name(isa)) + " dim " + std::to_string(dim));
        rotary(inplace.data(), cs.data(), sn.data(), inplace.data(), batch, heads, seq, dim, cb, two);
        EXPECT_EQ(inplace, y) << isa_name(isa) << " in place";
      }
    }
}

// The attention loops over several query rows (RowOps::dot_rows /
// axpy_rows: tiles of rows x keys on AVX2 / AVX-512; transpose) against double sums, on
// every ISA: row counts around the tile (1..9), key counts with and without a
// tile remainder, head dims with a vector tail. A weight of 0 skips its
// product: the value rows only zero weights reach hold NaN, and one row
// weighs a NaN value row at 0 while the others weigh it.
TEST(NnKernels, AttentionRowLoopsEveryIsa) {
  for (int64_t d : {13, 32, 48, 64, 80, 128})
    for (int64_t nq : {1, 3, 4, 5, 8, 9})
      for (int64_t nk : {1, 4, 7, 64}) {
        const int64_t ldq = d + 3, lds = 70, ldacc = d + 5;
        std::vector<float> q = random_floats(static_cast<size_t>(nq * ldq), 21);
        std::vector<float> k = random_floats(static_cast<size_t>(nk * d), 22);
        std::vector<float> v = random_floats(static_cast<size_t>(nk * d), 23);
        std::vector<float> p = random_floats(static_cast<size_t>(nq * lds), 24);
        std::vector<float> acc0 = random_floats(static_cast<size_t>(nq * ldacc), 25);
        const int64_t nan_row = nk - 1;  // weighed by row 1 only (when there are 2 rows)
        for (int64_t r = 0; r < nq; ++r)
          if (r != 1 || nq == 1) p[static_cast<size_t>(r * lds + nan_row)] = 0.0f;
        if (nq > 1) v[static_cast<size_t>(nan_row * d + 2)] = kNaN;
        std::vector<double> want_s(static_cast<size_t>(nq * lds)), want_acc(acc0.begin(), acc0.end());
        for (int64_t r = 0; r < nq; ++r)
          for (int64_t j = 0; j < nk; ++j) {
            double a = 0, w = p[static_cast<size_t>(r * lds + j)];
            for (int64_t c = 0; c < d; ++c) a += static_cast<double>(q[static_cast<size_t>(r * ldq + c)]) * k[static_cast<size_t>(j * d + c)];
            want_s[static_cast<size_t>(r * lds + j)] = a * 0.125;
            if (w != 0)
              for (int64_t c = 0; c < d; ++c) want_acc[static_cast<size_t>(r * ldacc + c)] += w * v[static_cast<size_t>(j * d + c)];
          }
        for (Isa isa : nn_test::supported_isas()) {
          const RowOps &ops = rowops_for(isa);
          const std::string what = std::string(isa_name(isa)) + " d " + std::to_string(d) + " rows " +
                                   std::to_string(nq) + " keys " + std::to_string(nk);
          std::vector<float> s(static_cast<size_t>(nq * lds), -7.0f), acc = acc0;
          std::vector<float> kt(static_cast<size_t>(d * lds), -7.0f);
          ops.transpose(k.data(), d, nk, d, kt.data(), lds);
          for (int64_t c = 0; c < d; ++c)
            for (int64_t j = 0; j < lds; ++j)
              ASSERT_EQ(kt[static_cast<size_t>(c * lds + j)], j < nk ? k[static_cast<size_t>(j * d + c)] : -7.0f)
                  << what << " transpose " << c << "," << j;
          std::vector<float> s_cols(static_cast<size_t>(nq * lds), -7.0f);
          ops.dot_cols(q.data(), ldq, nq, kt.data(), lds, nk, d, 0.125f, s_cols.data(), lds);
          ops.dot_rows(q.data(), ldq, nq, k.data(), d, nk, d, 0.125f, s.data(), lds);
          ops.axpy_rows(p.data(), lds, nq, v.data(), d, nk, d, acc.data(), ldacc);
          for (int64_t r = 0; r < nq; ++r) {
            for (int64_t j = 0; j < lds; ++j) {
              const size_t i = static_cast<size_t>(r * lds + j);
              if (j < nk) {
                EXPECT_NEAR(s[i], want_s[i], 2e-5 * (1 + std::fabs(want_s[i]))) << what << " score " << r << "," << j;
                EXPECT_NEAR(s_cols[i], want_s[i], 2e-5 * (1 + std::fabs(want_s[i]))) << what << " column score";
              } else {
                ASSERT_EQ(s[i], -7.0f) << what << ": wrote past the keys";
                ASSERT_EQ(s_cols[i], -7.0f) << what << ": dot_cols wrote past the keys";
              }
            }
            for (int64_t c = 0; c < ldacc; ++c) {
              const size_t i = static_cast<size_t>(r * ldacc + c);
              if (c >= d) {
                ASSERT_EQ(acc[i], acc0[i]) << what << ": wrote past the columns";
              } else if (std::isnan(want_acc[i])) {
                EXPECT_TRUE(std::isnan(acc[i])) << what;
              } else {
                EXPECT_NEAR(acc[i], want_acc[i], 2e-5 * (1 + std::fabs(want_acc[i]))) << what << " acc " << r << "," << c;
              }
            }
          }
        }
      }
}

}  // namespace
