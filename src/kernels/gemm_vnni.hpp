// Shared by the AVX-512 VNNI kernels (gemm_i8_avx512vnni.cpp,
// gemm_q4_avx512vnni.cpp, gemm_mx6_avx512vnni.cpp); include only from files compiled with
// -mavx512vnni.
#pragma once

#include <immintrin.h>

#include <cstdint>

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

// Stores an MR x (16 NP) tile of f32 accumulators at c (row stride ldc),
// only its first nr columns: a full tile directly, a partial one through a
// spill.
template <int MR, int NP>
__attribute__((always_inline)) inline void store_tile(const __m512 (&acc)[MR][NP], float *c, int64_t ldc, int nr) {
  const bool full = nr == NP * 16;
  alignas(64) float tmp[MR][NP * 16];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 8
    for (int p = 0; p < NP; ++p) _mm512_storeu_ps(full ? c + r * ldc + p * 16 : &tmp[r][p * 16], acc[r][p]);
  if (!full)
    for (int r = 0; r < MR; ++r)
      for (int j = 0; j < nr; ++j) c[r * ldc + j] = tmp[r][j];
}

}  // namespace qeff::kernels::gemm_detail
