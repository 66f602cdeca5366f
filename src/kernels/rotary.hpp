// qeff.Rotary (HF apply_rotary_pos_emb with rotate_half):
//   y[b, h, s, :] = x[b, h, s, :] cos[cb, s, :] + rotate_half(x[b, h, s, :]) sin[cb, s, :]
//   rotate_half(v) = concat(-v[d/2:], v[:d/2])
// x, y [batch, heads, seq, dim] (dim even); cos, sin [cos_batch, seq, dim]
// with cos_batch 1 (shared) or batch. y may equal x.
#pragma once

#include <cstdint>

#include "kernels/parallel.hpp"

namespace qeff::kernels {

void rotary(const float *x, const float *cos, const float *sin, float *y, int64_t batch, int64_t heads, int64_t seq,
            int64_t dim, int64_t cos_batch, Parallel &parallel);

}  // namespace qeff::kernels
