// Softmax and LogSoftmax over the middle axis of x viewed as [outer, n, inner]
// (ONNX opset >= 13 with axis a: outer = prod(dims < a), n = dims[a], inner =
// prod(dims > a); the opset 11-12 "coerce to 2-D" form is inner = 1).
//   softmax:     y = exp(x - max) / sum(exp(x - max))
//   log_softmax: y = x - max - log(sum(exp(x - max)))
// A slice whose max is -inf (all -inf) gives NaN, as ONNX Runtime does.
// y may equal x. Rows (inner == 1) use the vector loops of the active ISA;
// a strided axis (inner > 1) runs a portable column loop.
#pragma once

#include <cstdint>

#include "kernels/parallel.hpp"

namespace qeff::kernels {

void softmax(const float *x, float *y, int64_t outer, int64_t n, int64_t inner, bool log, Parallel &parallel);

}  // namespace qeff::kernels
