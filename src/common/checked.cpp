#include "common/checked.hpp"

#include <cmath>

namespace qeff {

std::optional<int64_t> double_to_int(double v, int64_t lo, int64_t hi) {
  if (!std::isfinite(v) || std::trunc(v) != v) return std::nullopt;
  // 2^63 is exactly representable; anything >= it does not fit int64.
  if (v >= 9223372036854775808.0 || v < -9223372036854775808.0) return std::nullopt;
  auto i = static_cast<int64_t>(v);
  if (i < lo || i > hi) return std::nullopt;
  return i;
}

}  // namespace qeff
