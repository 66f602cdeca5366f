// Elementwise float activations, used by the unary ops and as GEMM epilogues.
// Dispatched at run time (kernels/cpu.hpp, kernels/rowops.hpp): the portable
// path is exact std:: math; the AVX2 / AVX-512 paths agree with it within the
// bounds of docs/kernels.md "Activations" (exp 2 ulp, tanh/erf 3 ulp,
// sigmoid/silu 5 ulp, gelu 1e-6 absolute).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace qeff::kernels {

enum class Activation {
  none = 0,
  relu,
  gelu_erf,   // 0.5 x (1 + erf(x / sqrt 2)): HF "gelu"
  gelu_tanh,  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): "gelu_new", "gelu_pytorch_tanh"
  silu,       // x sigmoid(x)
  sigmoid,
  tanh,
  exp,
  erf,
};

const char *activation_name(Activation a);  // "none", "relu", "gelu_erf", ...
std::optional<Activation> parse_activation(std::string_view name);

// y[i] = a(x[i]) for i < n; y may equal x.
void apply_activation(Activation a, const float *x, float *y, int64_t n);

}  // namespace qeff::kernels
