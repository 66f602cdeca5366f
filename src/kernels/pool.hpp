// Sequence pooling (qeff.MeanPool / MaxPool / ClsPool / LastTokenPool, the
// sentence-transformers Pooling modes): x [batch, seq, hidden] f32, mask
// [batch, seq] (1 = token, 0 = padding) of type M (int64_t, int32_t, uint8_t
// for bool, or float) -> y [batch, hidden]:
//   mean:       sum_s x m / max(sum_s m, 1e-9)   (m as float, any values)
//   max:        max_s (m == 0 ? -1e9 : x)
//   cls:        x[b, 0]                           (mask unused)
//   last_token: x[b, max_s (int64(m) s)]          (left or right padding; a
//               row without tokens picks s = 0; an index the ONNX body would
//               reject, from mask values other than 0/1, is clamped to seq-1)
#pragma once

#include <cstdint>

#include "kernels/parallel.hpp"

namespace qeff::kernels {

enum class PoolKind { mean, max, cls, last_token };

template <class M>
void pool(PoolKind kind, const float *x, const M *mask, float *y, int64_t batch, int64_t seq, int64_t hidden,
          Parallel &parallel);

}  // namespace qeff::kernels
