#include "kernels/half.hpp"

#include <bit>
#include <cmath>

namespace qeff::kernels {

float f16_to_f32(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (man << 13);  // inf / NaN (payload kept)
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  } else if (man == 0) {
    bits = sign;
  } else {  // subnormal: value = man * 2^-24, exact in float
    float v = static_cast<float>(man) * 0x1p-24f;
    return sign ? -v : v;
  }
  return std::bit_cast<float>(bits);
}

uint16_t f32_to_f16(float f) {
  uint32_t x = std::bit_cast<uint32_t>(f);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  uint32_t ax = x & 0x7fffffffu;
  if (ax > 0x7f800000u) return sign | 0x7e00u;  // NaN -> quiet NaN
  if (ax >= 0x477ff000u) return sign | 0x7c00u;  // rounds to >= 65520: inf
  if (ax < 0x38800000u) {  // below the smallest normal half (2^-14): subnormal or zero
    // Scale so that one half subnormal step is 1.0, then round to nearest even
    // by the float adder (exact: the value has < 24 significant bits here).
    float v = std::bit_cast<float>(ax) * 0x1p24f;
    float r = std::nearbyint(v);
    return sign | static_cast<uint16_t>(r);
  }
  // Normal: rebias the exponent and round the 13 dropped mantissa bits to even.
  uint32_t m = ax + ((uint32_t(15) - 127) << 23);
  m += 0xfffu + ((m >> 13) & 1u);
  return sign | static_cast<uint16_t>(m >> 13);
}

}  // namespace qeff::kernels
