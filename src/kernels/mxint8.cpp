#include "kernels/mxint8.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace qeff::kernels {
namespace {

const std::array<float, 256> &units() {
  static const std::array<float, 256> t = [] {
    std::array<float, 256> u{};
    for (int e = 0; e < 255; ++e) u[static_cast<size_t>(e)] = std::ldexp(1.0f, e - 133);
    u[255] = std::numeric_limits<float>::quiet_NaN();
    return u;
  }();
  return t;
}

// floor(log2(a)) of a finite a > 0 (subnormals included), exactly.
int floor_log2(float a) {
  int e = 0;
  std::frexp(a, &e);  // a = m 2^e, m in [0.5, 1)
  return e - 1;
}

void quantize_block(const float *x, int64_t n, uint8_t *q, uint8_t *scale) {
  float amax = 0.0f;
  bool finite = true;
  for (int64_t i = 0; i < n; ++i) {
    finite = finite && std::isfinite(x[i]);
    amax = std::max(amax, std::fabs(x[i]));
  }
  if (!finite) {
    std::fill(q, q + n, uint8_t{0});
    *scale = 255;
    return;
  }
  if (amax == 0.0f) {
    std::fill(q, q + n, uint8_t{0});
    *scale = 0;
    return;
  }
  const int e = std::clamp(floor_log2(amax), -127, 127);
  // x / 2^e * 64 in double: exact (2^(6 - e) spans 2^-121 .. 2^133), then
  // rounded half to even (the default rounding mode) and saturated.
  const double f = std::ldexp(1.0, 6 - e);
  for (int64_t i = 0; i < n; ++i) {
    const double r = std::nearbyint(static_cast<double>(x[i]) * f);
    q[i] = static_cast<uint8_t>(static_cast<int8_t>(std::clamp(r, -127.0, 127.0)));
  }
  *scale = static_cast<uint8_t>(e + 127);
}

}  // namespace

float mxint8_unit(uint8_t e8m0) { return units()[e8m0]; }

void mxint8_quantize_rows(const float *x, int64_t rows, int64_t d, uint8_t *out) {
  const int64_t nb = mxint8_blocks(d), stride = mxint8_row_bytes(d);
  for (int64_t r = 0; r < rows; ++r) {
    const float *xr = x + r * d;
    uint8_t *o = out + r * stride;
    for (int64_t b = 0; b < nb; ++b) {
      const int64_t c = b * kMxBlock;
      quantize_block(xr + c, std::min(kMxBlock, d - c), o + c, o + d + b);
    }
  }
}

void mxint8_dequantize_rows(const uint8_t *in, int64_t stride, int64_t rows, int64_t d, float *out) {
  for_each_mxint8_block(in, stride, rows, d, out, [](const int8_t *q, int64_t n, float unit, float *o) {
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<float>(q[i]) * unit;
  });
}

}  // namespace qeff::kernels
