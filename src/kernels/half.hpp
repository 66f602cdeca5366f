// Scalar conversions between f32 and the 16-bit float formats: IEEE half
// (f16) and bfloat16 (the upper half of an f32). Shared by the GEMM packing
// (kernels/gemm.cpp) and the elementwise ops (ops/generic_util.hpp).
#pragma once

#include <bit>
#include <cstdint>

namespace qeff::kernels {

// 16-bit floats as stored, as distinct types so that kernels overload their
// loads on the format.
struct F16Bits {
  uint16_t bits;
};
struct Bf16Bits {
  uint16_t bits;
};

// f32 -> bf16 rounded to nearest even; NaN stays a (quiet) NaN, overflow
// rounds to infinity as IEEE rounding does. Inline: packing a bf16 weight
// converts every element (a call each was a sixth of a TinyLlama compile).
inline uint16_t f32_to_bf16(float f) {
  uint32_t x = std::bit_cast<uint32_t>(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // quiet NaN
  x += 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(x >> 16);
}
inline float bf16_to_f32(uint16_t b) { return std::bit_cast<float>(uint32_t(b) << 16); }  // exact

// f32 -> f16 rounded to nearest even (subnormals included); values that
// round to 65520 or more in magnitude become infinity; NaN stays a quiet NaN.
uint16_t f32_to_f16(float x);
float f16_to_f32(uint16_t h);  // exact (NaN payloads kept)

}  // namespace qeff::kernels
