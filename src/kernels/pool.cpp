#include "kernels/pool.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

namespace qeff::kernels {
namespace {

// ONNX Cast to int64: floats truncate toward zero; NaN and values beyond the
// range (undefined in C++) become 0.
template <class M>
int64_t as_int64(M v) {
  if constexpr (std::is_floating_point_v<M>) {
    if (!(std::fabs(v) < 9.2e18f)) return 0;
  }
  return static_cast<int64_t>(v);
}

template <class M>
void pool_row(PoolKind kind, const float *x, const M *m, float *y, int64_t seq, int64_t hidden) {
  switch (kind) {
    case PoolKind::mean: {
      // Accumulated in y itself (float, as the ONNX body's ReduceSum): a
      // kernel must not allocate (or throw) while it runs.
      std::fill(y, y + hidden, 0.0f);
      float cnt = 0.0f;
      for (int64_t s = 0; s < seq; ++s) {
        const float w = static_cast<float>(m[s]);
        cnt += w;
        if (w != 0.0f)  // padding rows are never read
          for (int64_t h = 0; h < hidden; ++h) y[h] += x[s * hidden + h] * w;
      }
      const float den = std::max(cnt, 1e-9f);
      for (int64_t h = 0; h < hidden; ++h) y[h] /= den;
      return;
    }
    case PoolKind::max:
      for (int64_t h = 0; h < hidden; ++h) y[h] = -3.40282347e38f;
      for (int64_t s = 0; s < seq; ++s) {
        const bool pad = static_cast<float>(m[s]) == 0.0f;
        for (int64_t h = 0; h < hidden; ++h) y[h] = std::max(y[h], pad ? -1e9f : x[s * hidden + h]);
      }
      return;
    case PoolKind::cls: std::memcpy(y, x, static_cast<size_t>(hidden) * sizeof(float)); return;
    case PoolKind::last_token: {
      int64_t last = 0;  // ReduceMax over s of m * s, which includes s = 0
      for (int64_t s = 0; s < seq; ++s) last = std::max(last, as_int64(m[s]) * s);
      last = std::clamp<int64_t>(last, 0, seq - 1);
      std::memcpy(y, x + last * hidden, static_cast<size_t>(hidden) * sizeof(float));
      return;
    }
  }
}

}  // namespace

template <class M>
void pool(PoolKind kind, const float *x, const M *mask, float *y, int64_t batch, int64_t seq, int64_t hidden,
          Parallel &parallel) {
  if (batch <= 0 || seq <= 0 || hidden <= 0) return;
  parallel.parallel_for(batch, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) pool_row(kind, x + r * seq * hidden, mask + r * seq, y + r * hidden, seq, hidden);
  });
}

template void pool<int64_t>(PoolKind, const float *, const int64_t *, float *, int64_t, int64_t, int64_t, Parallel &);
template void pool<int32_t>(PoolKind, const float *, const int32_t *, float *, int64_t, int64_t, int64_t, Parallel &);
template void pool<uint8_t>(PoolKind, const float *, const uint8_t *, float *, int64_t, int64_t, int64_t, Parallel &);
template void pool<float>(PoolKind, const float *, const float *, float *, int64_t, int64_t, int64_t, Parallel &);

}  // namespace qeff::kernels
