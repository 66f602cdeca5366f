#include "kernels/softmax.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/rowops.hpp"

namespace qeff::kernels {
namespace {

void softmax_row(const RowOps &ops, const float *x, float *y, int64_t n, bool log) {
  float m = ops.max(x, n);
  if (log) {
    float s = ops.exp_sum(x, m, nullptr, n);
    ops.scale_add(x, 1.0f, -(m + std::log(s)), y, n);
  } else {
    float s = ops.exp_sum(x, m, y, n);
    ops.scale_add(y, 1.0f / s, 0.0f, y, n);
  }
}

// Columns [c0, c0 + w) of one [n, inner] slice; per-column max and sum live in
// small stack arrays, so no workspace is needed.
constexpr int64_t kCols = 64;

void softmax_cols(const float *x, float *y, int64_t n, int64_t inner, int64_t c0, int64_t w, bool log) {
  float m[kCols], s[kCols];
  std::fill(m, m + w, -std::numeric_limits<float>::infinity());
  std::fill(s, s + w, 0.0f);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < w; ++c) m[c] = std::max(m[c], x[i * inner + c0 + c]);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < w; ++c) {
      float e = std::exp(x[i * inner + c0 + c] - m[c]);
      if (!log) y[i * inner + c0 + c] = e;
      s[c] += e;
    }
  for (int64_t c = 0; c < w; ++c) s[c] = log ? m[c] + std::log(s[c]) : 1.0f / s[c];
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < w; ++c) {
      float &v = y[i * inner + c0 + c];
      v = log ? x[i * inner + c0 + c] - s[c] : v * s[c];
    }
}

}  // namespace

void softmax(const float *x, float *y, int64_t outer, int64_t n, int64_t inner, bool log, Parallel &parallel) {
  if (outer <= 0 || n <= 0 || inner <= 0) return;
  const RowOps &ops = rowops();
  if (inner == 1) {
    parallel_for_work(parallel, outer, n, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) softmax_row(ops, x + r * n, y + r * n, n, log);
    });
    return;
  }
  const int64_t chunks = (inner + kCols - 1) / kCols;
  parallel_for_work(parallel, outer * chunks, n * std::min(kCols, inner), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t o = t / chunks, c0 = (t % chunks) * kCols;
      softmax_cols(x + o * n * inner, y + o * n * inner, n, inner, c0, std::min(kCols, inner - c0), log);
    }
  });
}

}  // namespace qeff::kernels
