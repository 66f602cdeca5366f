// AVX-512 VNNI int8 GEMM microkernels (i8.panel16x4, gemm.hpp).
//
// vpdpbusd multiplies unsigned by signed bytes and adds each group of 4
// products to an int32 lane: one instruction per quad of k of a 16-column
// panel (the layout's 64-byte quad is exactly its operand). A is signed, so
// the quantizer of this set stores a + 128 (a ^ 0x80, a byte in [1, 255]; the
// padding past K is 128, i.e. zero) and the kernel subtracts
// 128 * colsum[j] (stored with the weights) at the end:
//   sum (a + 128) w - 128 sum w = sum a w.
// vpdpbusd and vpsubd wrap modulo 2^32; the true sum fits in int32 (K is at
// most kGemmI8MaxK), so the wrapped result is exact, and so is every path's:
// the scaling is the one the portable kernel does (bit-identical).
// Tile: 12 rows x 2 panels (24 zmm accumulators, 2 weight vectors, the
// broadcast quad of A); a single row runs 1 x 8 panels (1 x 4 with
// CpuTuning::narrow_gemv).
#include "kernels/simd.hpp"  // <immintrin.h>, GCC 12's false -Wuninitialized silenced

#include "kernels/gemm_avx2_tile.hpp"
#include "kernels/gemm_internal.hpp"
#include "kernels/gemm_vnni.hpp"

namespace qeff::kernels::gemm_detail {
namespace {

template <int MR, int NP>
struct VnniI8Kernel {
  static void run(const I8Args &g) {
    __m512i acc[MR][NP];
    zero_tile(acc);
    const int8_t *b = g.b, *qa = g.qa;
    const int64_t lda = g.lda, kq = g.kq, panel_stride = g.panel_stride;
    for (int64_t q = 0; q < kq; ++q) {
      __m512i w[NP];
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p) w[p] = _mm512_loadu_si512(b + p * panel_stride + q * 64);
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const __m512i a = broadcast_quad(qa + r * lda + q * 4);
#pragma GCC unroll 8
        for (int p = 0; p < NP; ++p) acc[r][p] = dpbusd(acc[r][p], a, w[p]);
      }
    }
    // C = float(acc - 128 colsum) * (a_scale * b_scale).
    __m512i offset[NP];
    __m512 b_scale[NP];
#pragma GCC unroll 8
    for (int p = 0; p < NP; ++p) {
      offset[p] = _mm512_maskz_slli_epi32(kAll, _mm512_loadu_si512(g.b_sum + p * 16), 7);
      b_scale[p] = _mm512_loadu_ps(g.b_scale + p * 16);
    }
    __m512 y[MR][NP];
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512 sa = _mm512_set1_ps(g.a_scale[r]);
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p) {
        const __m512 s = _mm512_mul_ps(sa, b_scale[p]);
        y[r][p] = _mm512_mul_ps(_mm512_maskz_cvtepi32_ps(kAll, _mm512_sub_epi32(acc[r][p], offset[p])), s);
      }
    }
    store_tile(y, g.c, g.ldc, g.nr);
  }
};

}  // namespace

namespace {

// quantize_i8_span with AVX-512, bit for bit equal to it; with kFlip the
// bytes are stored as a + 128 (this set's unsigned A). Pass 1: the largest
// magnitude as the integer maximum of the magnitudes' bit patterns (for
// non-negative floats their order; a NaN or an infinity is a pattern >= that
// of +inf). Pass 2: round(x * inv) to nearest even, 64 values at a time packed
// with signed saturation (int32 -> int16 -> int8) and lifted from -128 to
// -127, i.e. clamped to [-127, 127] as the scalar quantizer does in float.
template <bool kFlip>
bool quantize_span(const float *x, int64_t k, int8_t *qr, float *scale) {
  const __m512i magnitude = _mm512_set1_epi32(0x7fffffff);
  __m512i m0 = _mm512_setzero_si512(), m1 = _mm512_setzero_si512();
  int64_t i = 0;
  for (; i + 32 <= k; i += 32) {
    m0 = _mm512_max_epu32(m0, _mm512_and_si512(_mm512_loadu_si512(x + i), magnitude));
    m1 = _mm512_max_epu32(m1, _mm512_and_si512(_mm512_loadu_si512(x + i + 16), magnitude));
  }
  for (; i + 16 <= k; i += 16) m0 = _mm512_max_epu32(m0, _mm512_and_si512(_mm512_loadu_si512(x + i), magnitude));
  const uint32_t bits = _mm512_reduce_max_epu32(_mm512_max_epu32(m0, m1));
  const bool non_finite = bits >= 0x7f800000u;
  float amax = 0.0f;
  if (!non_finite) __builtin_memcpy(&amax, &bits, 4);
  float inv = 0.0f;
  if (!span_scale(&amax, 1, x, i, k, non_finite, qr, scale, &inv)) {
    if (kFlip && k > 0) __builtin_memset(qr, 0x80, static_cast<size_t>(k));
    return false;
  }
  const __m512 vinv = _mm512_set1_ps(inv);
  const __m512i lo = _mm512_set1_epi8(-127), flip = _mm512_set1_epi8(static_cast<char>(kFlip ? 0x80 : 0));
  // After the packs, 128-bit lane l holds 4 values of each input vector
  // (4 l .. 4 l + 3 of a, b, c, d); this gathers each vector's 16 back in order.
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  auto round = [&](int64_t at) {
    return _mm512_cvt_roundps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + at), vinv),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  };
  for (i = 0; i + 64 <= k; i += 64) {
    const __m512i ab = _mm512_packs_epi32(round(i), round(i + 16)), cd = _mm512_packs_epi32(round(i + 32), round(i + 48));
    const __m512i q = _mm512_max_epi8(_mm512_permutexvar_epi32(order, _mm512_packs_epi16(ab, cd)), lo);
    _mm512_storeu_si512(qr + i, _mm512_xor_si512(q, flip));
  }
  for (; i + 16 <= k; i += 16) {
    const __m128i q = _mm_max_epi8(_mm512_cvtsepi32_epi8(round(i)), _mm512_castsi512_si128(lo));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(qr + i), _mm_xor_si128(q, _mm512_castsi512_si128(flip)));
  }
  for (; i < k; ++i) qr[i] = static_cast<int8_t>(quantize_i8(x[i], inv) ^ (kFlip ? 0x80 : 0));
  return true;
}

// The rows quantized as everywhere else (bit for bit the portable
// quantizer), offset to unsigned, the padding to a multiple of 4 included.
void quantize_rows_offset(const float *a, int64_t lda, int64_t rows, int64_t k, int8_t *q, int64_t ldq,
                          float *scale) {
  const int64_t kpad = (k + 3) / 4 * 4;
  for (int64_t r = 0; r < rows; ++r) {
    int8_t *qr = q + r * ldq;
    quantize_span<true>(a + r * lda, k, qr, &scale[r]);
    for (int64_t i = k; i < kpad; ++i) qr[i] = static_cast<int8_t>(0x80);
  }
}

}  // namespace

bool quantize_i8_span_avx512(const float *x, int64_t k, int8_t *qr, float *scale) {
  return quantize_span<false>(x, k, qr, scale);
}

const I8KernelSet &i8_kernels_avx512vnni() {
  static const I8KernelSet s = make_quant_kernel_set<I8KernelSet, VnniI8Kernel, 12, 2, 8, 4>(quantize_rows_offset);
  return s;
}

}  // namespace qeff::kernels::gemm_detail
