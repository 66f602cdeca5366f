#include "kernels/norm.hpp"

#include <cmath>

#include "kernels/rowops.hpp"

namespace qeff::kernels {

void layer_norm(const float *x, const float *scale, const float *bias, float *y, float *mean_out, float *inv_std_out,
                int64_t rows, int64_t n, float eps, Parallel &parallel) {
  if (rows <= 0 || n <= 0) return;
  const RowOps &ops = rowops();
  parallel_for_work(parallel, rows, n, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float *xr = x + r * n;
      // Two passes (mean, then squared deviations) as the ONNX body does; the
      // one-pass E[x^2] - E[x]^2 loses all precision on rows with a large mean.
      float mean = ops.sum(xr, n) / static_cast<float>(n);
      float var = ops.sum_sq(xr, mean, n) / static_cast<float>(n);
      float inv = 1.0f / std::sqrt(var + eps);
      ops.normalize(xr, mean, inv, scale, bias, y + r * n, n);
      if (mean_out) mean_out[r] = mean;
      if (inv_std_out) inv_std_out[r] = inv;
    }
  });
}

void rms_norm(const float *x, const float *weight, float *y, int64_t rows, int64_t n, float eps, Parallel &parallel) {
  if (rows <= 0 || n <= 0) return;
  const RowOps &ops = rowops();
  parallel_for_work(parallel, rows, n, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float *xr = x + r * n;
      float ms = ops.sum_sq(xr, 0.0f, n) / static_cast<float>(n);
      ops.normalize(xr, 0.0f, 1.0f / std::sqrt(ms + eps), weight, nullptr, y + r * n, n);
    }
  });
}

}  // namespace qeff::kernels
