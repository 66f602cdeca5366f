// Shared by the AVX-512 VNNI kernels (gemm_i8_avx512vnni.cpp,
// gemm_q4_avx512vnni.cpp); include only from files compiled with
// -mavx512vnni.
#pragma once

#include <immintrin.h>

namespace qeff::kernels::gemm_detail {

// Every lane: the zero-masked intrinsics with all lanes enabled are the plain
// instructions; the unmasked ones trip GCC 12's -Wuninitialized on
// _mm512_undefined_*.
inline constexpr __mmask16 kAll = 0xffff;

// acc + vpdpbusd(u, s): each int32 lane of acc plus the 4 products of u's
// unsigned and s's signed bytes in it (wrapping). Inline asm: with the
// intrinsic GCC 12 copies and spills a tile's accumulators on every
// iteration (it does not keep the tied operand in place), which halved the
// kernels' speed.
__attribute__((always_inline)) inline __m512i dpbusd(__m512i acc, __m512i u, __m512i s) {
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u), "v"(s));
  return acc;
}

}  // namespace qeff::kernels::gemm_detail
