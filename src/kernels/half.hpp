// Scalar conversions between f32 and the 16-bit float formats: IEEE half
// (f16) and bfloat16 (the upper half of an f32). Shared by the GEMM packing
// (kernels/gemm.cpp) and the elementwise ops (ops/generic_util.hpp).
#pragma once

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
// rounds to infinity as IEEE rounding does.
uint16_t f32_to_bf16(float x);
float bf16_to_f32(uint16_t h);  // exact

// f32 -> f16 rounded to nearest even (subnormals included); values that
// round to 65520 or more in magnitude become infinity; NaN stays a quiet NaN.
uint16_t f32_to_f16(float x);
float f16_to_f32(uint16_t h);  // exact (NaN payloads kept)

}  // namespace qeff::kernels
