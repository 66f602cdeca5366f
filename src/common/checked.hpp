// Checked integer arithmetic: every size, count and offset computed from file
// contents goes through these (RELIABILITY.md A6.2).
#pragma once

#include <cstdint>
#include <optional>

namespace qeff {

template <typename T>
std::optional<T> checked_mul(T a, T b) {
  T r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

template <typename T>
std::optional<T> checked_add(T a, T b) {
  T r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// Converts a JSON number to an integer without UB: nullopt unless `v` is finite,
// integral and within [lo, hi].
std::optional<int64_t> double_to_int(double v, int64_t lo, int64_t hi);

}  // namespace qeff
