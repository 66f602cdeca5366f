// Shared by the AVX-512 VNNI kernels (gemm_i8_avx512vnni.cpp,
// gemm_q4_avx512vnni.cpp, gemm_mx6_avx512vnni.cpp, gemm_mx6_avx512vbmi.cpp
// through gemm_mx6_tile.hpp); include only from files compiled with
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

// A's quad of k (4 bytes at a) in every int32 lane.
__attribute__((always_inline)) inline __m512i broadcast_quad(const int8_t *a) {
  int32_t quad;
  __builtin_memcpy(&quad, a, 4);
  return _mm512_set1_epi32(quad);
}

// 32 bytes at p in both 256-bit halves of a zmm.
__attribute__((always_inline)) inline __m512i broadcast_halves(const uint8_t *p) {
  return _mm512_maskz_broadcast_i64x4(0xff, _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p)));
}

// One quad of k of a 16-column panel in the 4-bit nibble layout (32 bytes:
// columns 0..7 in the low nibbles, 8..15 in the high ones) with each column's
// nibble in bits 0..3 of its byte, in column order: broadcast to both halves,
// shifted right by 0 (low half) or 4 (high half). Bits 4..7 are the next
// nibble's; quad_nibbles masks them, the MXFP6 VBMI decoder overwrites them.
__attribute__((always_inline)) inline __m512i quad_nibble_bytes(const uint8_t *quad) {
  const __m512i shifts = _mm512_maskz_set1_epi16(0xffff0000u, 4);  // 16-bit lanes 16..31 (the high half) by 4
  return _mm512_srlv_epi16(broadcast_halves(quad), shifts);
}

// The same masked to 4 bits: the quad's 16 columns' nibbles as 64 bytes.
// Shared by the 4-bit and MXFP6 (low bits) kernels.
__attribute__((always_inline)) inline __m512i quad_nibbles(const uint8_t *quad) {
  return _mm512_and_si512(quad_nibble_bytes(quad), _mm512_set1_epi8(0x0f));
}

// 16 MXFP6 E8M0 scale bytes -> the f32 factors of mx6_scale: 2^(e - 130) for e in
// [4, 254], 0 below, NaN for 255.
__attribute__((always_inline)) inline __m512 mx6_load_scales(const uint8_t *p) {
  const __m512i e = _mm512_maskz_cvtepu8_epi32(kAll, _mm_loadu_si128(reinterpret_cast<const __m128i *>(p)));
  const __mmask16 normal = _mm512_cmpge_epi32_mask(e, _mm512_set1_epi32(4));
  const __mmask16 nan = _mm512_cmpeq_epi32_mask(e, _mm512_set1_epi32(255));
  const __m512i bits = _mm512_maskz_slli_epi32(normal, _mm512_sub_epi32(e, _mm512_set1_epi32(3)), 23);
  return _mm512_castsi512_ps(_mm512_mask_mov_epi32(bits, nan, _mm512_set1_epi32(-1)));
}

// The end of a block of a block format (q4, mx6) for an MR x NP tile:
//   acc[r][p] = fma(float(sum[r][p]), scale[p] * a_scale[r][b], acc[r][p])
// in the order gemm_internal.hpp fixes for every ISA.
template <int MR, int NP>
__attribute__((always_inline)) inline void add_scaled_block(__m512 (&acc)[MR][NP], const __m512i (&sum)[MR][NP],
                                                           const __m512 (&scale)[NP], const float *a_scale,
                                                           int64_t lds, int64_t b) {
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    const __m512 sa = _mm512_set1_ps(a_scale[r * lds + b]);
#pragma GCC unroll 8
    for (int p = 0; p < NP; ++p)
      acc[r][p] = _mm512_fmadd_ps(_mm512_maskz_cvtepi32_ps(kAll, sum[r][p]), _mm512_mul_ps(scale[p], sa), acc[r][p]);
  }
}

}  // namespace qeff::kernels::gemm_detail
