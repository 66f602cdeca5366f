// Row normalizations over the last `n` floats of each of `rows` rows.
#pragma once

#include <cstdint>

#include "kernels/parallel.hpp"

namespace qeff::kernels {

// ONNX LayerNormalization (opset 17 function body, stash_type float):
//   mean = sum(x) / n; d = x - mean; inv = 1 / sqrt(sum(d^2) / n + eps);
//   y = d inv scale + bias
// scale [n] is required; bias [n], mean_out [rows] and inv_std_out [rows] may
// be nullptr. y may equal x.
void layer_norm(const float *x, const float *scale, const float *bias, float *y, float *mean_out, float *inv_std_out,
                int64_t rows, int64_t n, float eps, Parallel &parallel);

// qeff.RMSNorm (HF LlamaRMSNorm): y = x / sqrt(sum(x^2) / n + eps) weight,
// weight [n]. y may equal x.
void rms_norm(const float *x, const float *weight, float *y, int64_t rows, int64_t n, float eps, Parallel &parallel);

}  // namespace qeff::kernels
