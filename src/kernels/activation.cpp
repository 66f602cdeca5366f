#include "kernels/activation.hpp"

#include <cmath>

namespace qeff::kernels {
namespace {

constexpr const char *kNames[] = {"none", "relu", "gelu_erf", "gelu_tanh", "silu", "sigmoid", "tanh", "exp", "erf"};

template <class F>
void map(const float *x, float *y, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

}  // namespace

const char *activation_name(Activation a) { return kNames[static_cast<int>(a)]; }

std::optional<Activation> parse_activation(std::string_view name) {
  for (int i = 0; i < static_cast<int>(std::size(kNames)); ++i)
    if (name == kNames[i]) return static_cast<Activation>(i);
  return std::nullopt;
}

// Portable path (ISA paths are added beside it and chosen by active_isa()).
void apply_activation(Activation a, const float *x, float *y, int64_t n) {
  switch (a) {
    case Activation::none:
      if (x != y) map(x, y, n, [](float v) { return v; });
      return;
    case Activation::relu: return map(x, y, n, [](float v) { return v > 0.0f ? v : 0.0f; });
    case Activation::gelu_erf:
      return map(x, y, n, [](float v) { return 0.5f * v * (1.0f + std::erf(v * 0.70710678118654752f)); });
    case Activation::gelu_tanh:
      return map(x, y, n, [](float v) {
        return 0.5f * v * (1.0f + std::tanh(0.7978845608028654f * (v + 0.044715f * v * v * v)));
      });
    case Activation::silu: return map(x, y, n, [](float v) { return v / (1.0f + std::exp(-v)); });
    case Activation::sigmoid: return map(x, y, n, [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
    case Activation::tanh: return map(x, y, n, [](float v) { return std::tanh(v); });
    case Activation::exp: return map(x, y, n, [](float v) { return std::exp(v); });
    case Activation::erf: return map(x, y, n, [](float v) { return std::erf(v); });
  }
}

}  // namespace qeff::kernels
