#include "kernels/activation.hpp"

#include <iterator>

#include "kernels/rowops.hpp"

namespace qeff::kernels {
namespace {

constexpr const char *kNames[] = {"none", "relu", "gelu_erf", "gelu_tanh", "silu", "sigmoid", "tanh", "exp", "erf"};

}  // namespace

const char *activation_name(Activation a) { return kNames[static_cast<int>(a)]; }

std::optional<Activation> parse_activation(std::string_view name) {
  for (int i = 0; i < static_cast<int>(std::size(kNames)); ++i)
    if (name == kNames[i]) return static_cast<Activation>(i);
  return std::nullopt;
}

// The loops live in the RowOps tables: exact std:: math on the portable path,
// vector approximations (error bounds in kernels/simd.hpp) on AVX2 / AVX-512.
void apply_activation(Activation a, const float *x, float *y, int64_t n) { rowops().activation(a, x, y, n); }

}  // namespace qeff::kernels
